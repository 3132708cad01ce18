"""Bytes -> text for uploaded tables: UTF-8 first, BOMs honoured, UTF-16 without a BOM
recognised by its NUL pattern, Western 8-bit text read as cp1252, else a detected charset."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from sift_tables.errors import TableError

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_MAGIC = {b"PK\x03\x04": "a zip archive", b"\x1f\x8b": "a gzip file", b"%PDF": "a PDF",
          b"\x89PNG": "a PNG image", b"PAR1": "a Parquet file", b"\x7fELF": "a program"}
_SURROGATES = re.compile("[\ud800-\udfff]")
_SAMPLE = 65536


def decode(data: bytes, kind: str = "CSV") -> tuple[str, str, list[str]]:
    """(text, encoding, warnings); `TableError` 415 for archives and binary data. `kind`
    names the file in messages: CSV uploads and raw `.log` uploads share this decoding."""
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise TableError(f"The upload is {what}, not a {kind} file. Send plain-text "
                             f"{kind} (UTF-8 preferred).", status=415)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding, []
    utf16 = _utf16_without_bom(data[:_SAMPLE])
    if utf16:
        text = data.decode(utf16, errors="replace")
        return text, utf16, [f"file is UTF-16 without a byte-order mark; read it as {utf16}"]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if "\x00" in text[:_SAMPLE] and text[:_SAMPLE].count("\x00") * 8 > len(text[:_SAMPLE]):
            raise _binary(kind)
        return text, "utf-8", []
    if b"\x00" in data[:8192]:
        raise _binary(kind)
    encoding = _western(data) or _detected(data)
    text = data.decode(encoding, errors="replace")
    return text, encoding, [f"file is not UTF-8; read it as {encoding}"]


def stream_encoding(sample: bytes) -> str:
    """The encoding `decode` would choose for a file that starts with `sample`, for readers
    that stream (the bulk engines): BOMs, UTF-8, UTF-16 without BOM, cp1252, detected."""
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    utf16 = _utf16_without_bom(sample)
    if utf16:
        return utf16
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 3:  # not just a character cut by the sample's end
            return _western(sample) or _detected(sample)
    return "utf-8-sig"


def scrub_surrogates(text: str) -> tuple[str, int]:
    """Lone UTF-16 surrogates (sent by JavaScript clients) -> U+FFFD; (text, how many)."""
    if not _SURROGATES.search(text):
        return text, 0
    return _SURROGATES.subn("\ufffd", text)


def _binary(kind: str) -> TableError:
    return TableError(f"The upload contains binary data (NUL bytes); send a plain-text {kind} "
                      "file (UTF-8 preferred).", status=415)


def _utf16_without_bom(sample: bytes) -> str | None:
    """ASCII-heavy UTF-16 puts a NUL in every other byte: odd bytes for LE, even for BE."""
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.6 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.6 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _western(data: bytes) -> str | None:
    """cp1252 when it decodes cleanly and reads like Western text (accents among ASCII
    letters), which charset detection often mistakes for mac_latin2 or cp1250."""
    try:
        text = data[:_SAMPLE].decode("cp1252")
    except UnicodeDecodeError:
        return None
    ascii_letters = sum(c.isascii() and c.isalpha() for c in text)
    other = sum(not c.isascii() for c in text)
    return "cp1252" if other * 2 < ascii_letters else None


def _detected(data: bytes) -> str:
    best = from_bytes(data[:_SAMPLE]).best()
    encoding = best.encoding if best is not None else "latin-1"
    try:
        codecs.lookup(encoding)
    except LookupError:
        return "latin-1"
    return encoding
