"""Bounded gzip / deflate inflation, every member, for every door that accepts compressed
bodies (raw log uploads, OTLP `Content-Encoding`).

`zlib.decompressobj(wbits=31)` stops at the end of the first gzip member and leaves the
rest in `unused_data`; a body made of `gzip(a) + gzip(b)` (what `cat a.gz b.gz`, many
shippers and `bulk/output.py` write) would silently lose `b`. Here each member is read in
turn, output is produced in bounded steps and counted, so a bomb stops at `max_bytes`
(not after it has been built in memory), and a stream that ends early is an error, not a
short answer.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

GZIP_MAGIC = b"\x1f\x8b"
_STEP = 1 << 20  # output produced per decompress call


class InflateError(ValueError):
    """Not valid compressed data, or cut short."""


class InflateTooLarge(InflateError):  # noqa: N818 - reads as "inflates too large"
    """The data inflates past the limit."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"it inflates past {max_bytes:,} bytes")
        self.max_bytes = max_bytes


def iter_inflate(data: bytes, max_bytes: int, kind: str = "gzip") -> Iterator[bytes]:
    """Chunks of the inflated data (every gzip member in turn); raises InflateTooLarge as
    soon as the total passes `max_bytes`, InflateError for corrupt or truncated data."""
    wbits = 31 if kind == "gzip" else 15
    total = 0
    rest = data
    while True:
        inflater = zlib.decompressobj(wbits)
        pending = rest
        while not inflater.eof:
            try:
                out = inflater.decompress(pending, _STEP)
            except zlib.error as exc:
                raise InflateError(f"it is not valid {kind} data ({exc})") from None
            total += len(out)
            if total > max_bytes:
                raise InflateTooLarge(max_bytes)
            pending = inflater.unconsumed_tail
            if out:
                yield out
            elif not pending and not inflater.eof:
                raise InflateError(f"the {kind} stream ends early (truncated)")
        rest = inflater.unused_data
        if kind != "gzip" or not rest.strip(b"\x00"):  # gzip(1) ignores trailing NUL padding
            return
        if not rest.startswith(GZIP_MAGIC):
            raise InflateError("bytes follow the gzip stream that are not another gzip member")


def inflate(data: bytes, max_bytes: int, kind: str = "gzip") -> bytes:
    """The whole inflated body (at most `max_bytes`), all members joined."""
    return b"".join(iter_inflate(data, max_bytes, kind))
