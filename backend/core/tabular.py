"""The backend's door to the one table module (`sift_tables`).

Reading, header matching, limits and safe CSV output live in `sift_tables` (shared
with the UI and the bulk engines); this adapter applies the service's settings and
turns `TableError` into the API's problem+json errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sift_tables
from backend.core.config import get_settings
from backend.core.errors import BadInputError, ProblemError
from sift_tables import Limits, Table, TableError, append_columns, neutralise, to_safe_csv

__all__ = ["Table", "append_columns", "check_row_limit", "neutralise", "read_table",
           "sniff_delimiter", "to_safe_csv", "problem"]


def problem(exc: TableError) -> ProblemError:
    """The API error for a table the reader refused (status and message kept)."""
    return BadInputError(exc.message, status=exc.status, **exc.extra)


def read_table(data: bytes, required: Sequence[str], max_rows: int | None = None,
               optional: Iterable[str] = ()) -> Table:
    """`sift_tables.read_table` with MAX_COLUMNS from the settings; errors as 413/415/422."""
    limits = Limits(max_rows=max_rows, max_columns=get_settings().MAX_COLUMNS)
    try:
        return sift_tables.read_table(data, required, optional, limits)
    except TableError as exc:
        raise problem(exc) from None


def check_row_limit(rows: int, limit: int | None, unit: str = "rows") -> None:
    """413 above MAX_ROWS_PER_REQUEST, the same words for JSON bodies and files."""
    try:
        sift_tables.check_row_limit(rows, limit, unit)
    except TableError as exc:
        raise problem(exc) from None


def sniff_delimiter(sample: str, required: Sequence[str] = ()) -> str:
    return sift_tables.pick_delimiter(sample, required)
