"""The label every classifier answers when it abstains (one definition for the service;
the UI, which speaks HTTP only, reads it from the API's answers)."""

from __future__ import annotations

UNCLASSIFIED = "Unclassified"
