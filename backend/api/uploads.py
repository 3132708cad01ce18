"""Upload helpers shared by every CSV endpoint."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request, UploadFile

from backend.core.errors import BadInputError, ProblemError
from backend.core.inflate import GZIP_MAGIC, InflateError, InflateTooLarge, inflate
from sift_tables import scrub_surrogates

_CHUNK = 1 << 20


async def read_upload(file: UploadFile, max_bytes: int) -> bytes:
    """Read an uploaded file, refusing it with 413 as soon as it passes the limit."""
    if file.size is not None and file.size > max_bytes:
        raise _too_large(file.size, max_bytes)
    parts = []
    total = 0
    while chunk := await file.read(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise _too_large(total, max_bytes)
        parts.append(chunk)
    return b"".join(parts)


def inflate_upload(data: bytes, max_bytes: int, name: str, what: str = "file") -> bytes:
    """A gzip'd upload inflated within MAX_UPLOAD_MB (every member), else `data` as it is:
    one 413/422 wording for every door that accepts `.gz` bodies."""
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return inflate(data, max_bytes)
    except InflateTooLarge:
        raise ProblemError(413, f"The unpacked {what} is larger than the "
                                f"{max_bytes / 2**20:.0f} MB upload limit (MAX_UPLOAD_MB); "
                                "split it, or use `sift classify-file`.") from None
    except InflateError as exc:
        raise BadInputError(f"{name or 'the upload'} looks gzip'd but cannot be unpacked "
                            f"({exc}); send the plain {what} or a complete .gz") from None


def _too_large(size: int, max_bytes: int) -> ProblemError:
    return ProblemError(413, f"The file ({size:,} bytes so far) is larger than the "
                             f"{max_bytes / 2**20:.0f} MB upload "
                             f"limit (MAX_UPLOAD_MB). Split it, or use the bulk CLI "
                             f"(python -m training classify-file).")


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/csv" not in accept


async def check_one_file(request: Request, name: str = "file") -> None:
    """422 when a form carries several `file` parts: one would be read, the others lost."""
    parts = (await request.form()).getlist(name)
    if len(parts) > 1:
        raise BadInputError(f"The form has {len(parts)} '{name}' parts; send one file per "
                            "request (or join the files into one CSV with one header row).")


def account(summary: dict[str, Any], rows_in: int, refused: int = 0) -> dict[str, Any]:
    """`summary` with the row accounting every answer states: rows_in = classified +
    abstained + refused (the tests check the sum against the rows sent)."""
    abstained = int(summary["total"]) - int(summary["classified"])
    return {**summary, "rows_in": rows_in, "abstained": abstained, "refused": refused}


def accounting_headers(summary: Mapping[str, Any]) -> dict[str, str]:
    """The row accounting of a CSV answer, as response headers."""
    return {"X-Rows-In": str(summary["rows_in"]), "X-Rows-Classified": str(summary["classified"]),
            "X-Rows-Abstained": str(summary["abstained"]),
            "X-Rows-Refused": str(summary["refused"])}


def warnings_header(notes: Sequence[str]) -> dict[str, str]:
    """`X-Warnings` of a CSV answer (every door formats it here): the notes joined, cut to
    1,000 characters, ASCII (a header cannot carry more); {} when there are none."""
    if not notes:
        return {}
    return {"X-Warnings": "; ".join(notes)[:1000].encode("ascii", "replace").decode()}


def parse_json_body(body: bytes) -> tuple[Any, int]:
    """A JSON body parsed by the standard library, with errors that say what to fix (not
    UTF-8, nested too deep, bad syntax), and lone UTF-16 surrogates - which JavaScript
    clients send and pydantic refuses - replaced by U+FFFD: (value, strings replaced)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"The body is not valid UTF-8 (bad byte at offset {exc.start}); "
                            "send JSON encoded as UTF-8.", status=400) from None
    try:
        value = json.loads(text or "null")
    except RecursionError:
        raise BadInputError("The JSON body is nested too deeply; send a flat object such as "
                            '{"logs": [...]}.', status=400) from None
    except ValueError as exc:
        raise BadInputError(f"The body is not valid JSON ({exc}); check quotes, commas and "
                            "brackets.") from None
    counter = [0]
    return _scrub(value, counter), counter[0]


def _scrub(value: Any, counter: list[int]) -> Any:
    if isinstance(value, str):
        clean, n = scrub_surrogates(value)
        counter[0] += bool(n)
        return clean
    if isinstance(value, list):
        return [_scrub(v, counter) for v in value]
    if isinstance(value, dict):
        return {_scrub(k, counter): _scrub(v, counter) for k, v in value.items()}
    return value
