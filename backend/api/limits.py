"""Per-row limits that a whole request is refused for (rather than a row silently cut)."""

from __future__ import annotations

from collections.abc import Sequence

from backend.core.errors import BadInputError


def check_message_lengths(records: Sequence[tuple[object, object]], max_chars: int,
                          first_row: int = 0) -> None:
    """422 naming the first row whose log_message is longer than `max_chars`.

    `first_row` is what the first record is called in the message (0 for JSON list
    indexes, 1 for CSV data rows).
    """
    for i, (_, message) in enumerate(records):
        if isinstance(message, str) and len(message) > max_chars:
            raise BadInputError(
                f"Row {i + first_row}: log_message has {len(message):,} characters; the limit "
                f"is {max_chars:,} (MAX_MESSAGE_CHARS_HARD). Split or trim that line.",
                row=i + first_row)
