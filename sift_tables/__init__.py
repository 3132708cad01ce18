"""One table reader and writer for the API, the bulk engines and the UI.

A small package with no dependency on `backend`, `training` or `frontend`, so every
layer may import it: decoding, delimiter choice, header matching, lenient reading
with exact row accounting, limits, and formula-safe RFC 4180 output live here once.
"""

from sift_tables.errors import TableError
from sift_tables.headers import match_columns, normalize_header

__all__ = ["TableError", "match_columns", "normalize_header"]
