"""Upload helpers shared by every CSV endpoint."""

from __future__ import annotations

from fastapi import Request, UploadFile

from backend.core.errors import ProblemError

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


def _too_large(size: int, max_bytes: int) -> ProblemError:
    return ProblemError(413, f"The file ({size:,} bytes so far) is larger than the "
                             f"{max_bytes / 2**20:.0f} MB upload "
                             f"limit (MAX_UPLOAD_MB). Split it, or use the bulk CLI "
                             f"(python -m training classify-file).")


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/csv" not in accept
