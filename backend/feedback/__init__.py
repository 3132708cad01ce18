"""Feedback store: every served prediction, and what users said about it."""
