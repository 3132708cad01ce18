"""Bulk classification of large log files, on one machine or on a Ray cluster."""
