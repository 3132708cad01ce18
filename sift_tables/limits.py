"""The size limits a table is refused for, written once (413 says what to do instead)."""

from __future__ import annotations

from dataclasses import dataclass

from sift_tables.errors import TableError

DEFAULT_MAX_COLUMNS = 5000


@dataclass(frozen=True)
class Limits:
    """`max_rows` data rows and `max_columns` header fields per table (None: no row limit)."""

    max_rows: int | None = None
    max_columns: int = DEFAULT_MAX_COLUMNS


def check_row_limit(rows: int, limit: int | None, unit: str = "rows") -> None:
    """413 when a request carries more than `limit` rows (MAX_ROWS_PER_REQUEST)."""
    if limit is not None and rows > limit:
        raise TableError(f"{rows:,} {unit} in one request; the limit per request is {limit:,} "
                         "(MAX_ROWS_PER_REQUEST). Split the input, or use the bulk command "
                         "(classify-file) for big files.", status=413)


def check_column_limit(columns: int, limit: int) -> None:
    """413 before a very wide header costs minutes of parsing and writing."""
    if columns > limit:
        raise TableError(f"The header has {columns:,} columns; the limit is {limit:,} "
                         "(MAX_COLUMNS). Keep the columns the classifier needs "
                         "and drop the rest.", status=413)
