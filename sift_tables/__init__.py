"""One table reader and writer for the API, the bulk engines and the UI.

A small package with no dependency on `backend`, `training` or `frontend`, so every
layer may import it: decoding, delimiter choice, header matching, lenient reading
with exact row accounting, limits, and formula-safe RFC 4180 output live here once.
"""

from sift_tables.columnar import FORMULA_START
from sift_tables.decode import decode, scrub_surrogates, stream_encoding
from sift_tables.errors import TableError
from sift_tables.headers import match_columns, normalize_header
from sift_tables.limits import Limits, check_column_limit, check_row_limit
from sift_tables.reader import Table, pick_delimiter, read_table
from sift_tables.writer import append_columns, neutralise, output_names, to_safe_csv

__all__ = ["FORMULA_START", "Limits", "Table", "TableError", "append_columns",
           "check_column_limit",
           "check_row_limit", "decode", "match_columns", "neutralise", "normalize_header",
           "output_names", "pick_delimiter", "read_table", "scrub_surrogates", "stream_encoding",
           "to_safe_csv"]
