"""The label every classifier answers when it abstains (one definition for the service;
the UI, which speaks HTTP only, reads it from the API's answers), and the labels that
report a problem: a writer turning one of those into a routine label waits for an admin."""

from __future__ import annotations

UNCLASSIFIED = "Unclassified"
PROBLEM_LABELS = frozenset({"Critical Error", "Error", "Security Alert", "Workflow Error"})
