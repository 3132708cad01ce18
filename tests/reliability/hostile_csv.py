"""A seeded corpus of malformed and hostile CSV uploads.

Each case knows the `log_message` values a correct reader must return, in order
(`messages`), or is `None` when the file is garbage and only the status class
matters. Families: encodings, delimiters, quoting, huge fields, binary, zip and
gzip bombs named .csv, formula cells, NUL bytes, mixed newlines, header damage,
ragged rows, unicode oddities.
"""

from __future__ import annotations

import gzip
import io
import random
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

SOURCES = ("ModernCRM", "BillingSystem", "ComputeCloud", "LegacyCRM", "ThirdPartyAPI")
BASE = ["User User123 logged in.", "Payment service crashed with exit code 137",
        "CPU usage at 93% on worker 5", "Multiple login failures occurred on user 6454 account",
        'GET /api/v1/orders returned HTTP 503 in 120 ms', "Backup completed successfully."]
ACCENTED = ["Échec de connexion pour l'utilisateur André", "Größe überschritten: 5 GB",
            "Conexión rechazada por el señor Núñez"]
FORMULAS = ["=1+2", "=cmd|' /C calc'!A0", "+SUM(A1:A9)", "-2+3", "@SUM(1,1)",
            "\tTab-led value", "=HYPERLINK(\"http://x.invalid\",\"click\")",
            "=IMPORTXML(\"http://x.invalid\",\"//a\")", "+1-1", "@cmd"]
UNICODE = ["emoji 🚀🔥 deploy failed", "RTL \u202eevil\u202c text", "zero\u200bwidth\u200dspace",
           "combining e\u0301\u0301\u0301", "CJK 服务器错误 サーバー", "math 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
           "ANSI \x1b[31mred\x1b[0m alert", "bell\x07 and backspace\x08", "line\u2028separator"]


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    messages: list[str] | None  # None: garbage, only the status class is checked
    ascii_only: bool = False  # an 8-bit legacy charset: detection may pick a sibling one


def _quote(value: str, delimiter: str = ",") -> str:
    if any(c in value for c in (delimiter, '"', "\n", "\r")) or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


def table(messages: list[str], delimiter: str = ",", newline: str = "\n",
          header: str = "source,log_message", quote_all: bool = False) -> str:
    lines = [header.replace(",", delimiter)]
    for i, message in enumerate(messages):
        source = SOURCES[i % len(SOURCES)]
        cell = '"' + message.replace('"', '""') + '"' if quote_all else _quote(message, delimiter)
        lines.append(f"{source}{delimiter}{cell}")
    return newline.join(lines) + newline


def _encodings() -> Iterator[Case]:
    for enc in ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "cp1252",
                "iso-8859-15"):
        for n in (1, 3, 12):
            msgs = (ACCENTED * 4)[:n]
            text = table(msgs)
            data = text.encode(enc)
            if enc == "utf-16-le":
                data = b"\xff\xfe" + data
            elif enc == "utf-16-be":
                data = b"\xfe\xff" + data
            legacy = enc in ("latin-1", "cp1252", "iso-8859-15")
            yield Case(f"encoding-{enc}-{n}", data, msgs, ascii_only=legacy)
    for enc in ("shift_jis", "koi8-r", "gb18030"):
        yield Case(f"encoding-{enc}", table(["Ошибка 服务 サーバ"]).encode(enc, "replace"), None)


def _delimiters() -> Iterator[Case]:
    for delim in (",", ";", "\t", "|"):
        for quote_all in (False, True):
            for n in (2, 7):
                msgs = [f"{m} part{delim}two" for m in BASE[:n]] if n == 2 else BASE[:6]
                yield Case(f"delimiter-{delim!r}-q{quote_all}-{n}",
                           table(msgs, delim, quote_all=quote_all).encode(), msgs)


def _quoting() -> Iterator[Case]:
    tricky = ['say "hello" twice', 'multi\nline\nmessage', 'comma, inside', '""', '"',
              'ends with quote"', '  padded  ', 'a\r\nb', "x" * 200 + ',"' + "y" * 10]
    for i, message in enumerate(tricky):
        yield Case(f"quoting-escaped-{i}", table([message, "plain after"]).encode(),
                   [message, "plain after"])
    garbage = ['source,log_message\nA,"unterminated\nB,next\n',
               'source,log_message\nA,"a"b"c\n', 'source,log_message\nA,x"y\n',
               'source,log_message\n"A,b\n', 'source,"log_message\nA,b\n',
               '"source","log_message"\n"A""","b\n"C",d\n', "source,log_message\n\"\"\"\n"]
    for i, text in enumerate(garbage):
        yield Case(f"quoting-broken-{i}", text.encode(), None)


def _huge() -> Iterator[Case]:
    for size in (5_000, 60_000):
        msg = "long " + "x" * size
        yield Case(f"huge-field-{size}", table([msg, "short"]).encode(), [msg, "short"])
    yield Case("huge-field-over-hard-limit", table(["y" * 100_000]).encode(), None)
    wide = ",".join(f"c{i}" for i in range(2000))
    yield Case("huge-2000-columns", f"source,log_message,{wide}\nA,hello,{wide}\n".encode(),
               ["hello"])
    yield Case("huge-header-name", ("source,log_message," + "h" * 50_000 + "\nA,hi,z\n").encode(),
               ["hi"])
    many = [f"{BASE[i % len(BASE)]} #{i}" for i in range(3000)]
    yield Case("huge-3000-rows", table(many).encode(), many)
    yield Case("huge-one-line-no-newline", b"source,log_message," + b"z" * 200_000, None)


def _binary(rng: random.Random) -> Iterator[Case]:
    for i in range(16):
        size = rng.choice([16, 300, 4096, 70_000])
        yield Case(f"binary-random-{i}", rng.randbytes(size), None)
    for i in range(6):
        noise = bytes(rng.randrange(128, 256) for _ in range(500))
        yield Case(f"binary-highbit-{i}", b"source,log_message\nA," + noise + b"\n", None)
    yield Case("binary-elf", b"\x7fELF\x02\x01\x01" + bytes(200), None)
    yield Case("binary-png", b"\x89PNG\r\n\x1a\n" + bytes(100), None)
    yield Case("binary-pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", None)


def _bombs() -> Iterator[Case]:
    for mb in (1, 20):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("logs.csv", b"source,log_message\n" + b"A,boom\n" * (mb * 149796))
        yield Case(f"zip-bomb-{mb}mb", buf.getvalue(), None)
        yield Case(f"gzip-bomb-{mb}mb", gzip.compress(b"0" * (mb << 20)), None)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("a.zip", b"PK\x03\x04" + bytes(1000))
    yield Case("zip-nested", inner.getvalue(), None)
    yield Case("zip-truncated", b"PK\x03\x04\x14\x00", None)


def _formulas() -> Iterator[Case]:
    for i, formula in enumerate(FORMULAS):
        yield Case(f"formula-message-{i}", table([formula, "ok line"]).encode(),
                   [formula, "ok line"])
        text = f"source,log_message\n{_quote(formula)},hello formula source\n"
        yield Case(f"formula-source-{i}", text.encode(), ["hello formula source"])
    yield Case("formula-header-extra",
               b"source,log_message,=evil()\nA,hello,=1+1\n", ["hello"])


def _nul_and_controls() -> Iterator[Case]:
    for i, pos in enumerate((0, 3, 10)):
        msg = "nul" + "\x00" * (i + 1) + "byte"
        yield Case(f"nul-in-message-{pos}", table([msg, "after nul"]).encode(), None)
    yield Case("nul-everywhere", b"s\x00o\x00u\x00r\x00c\x00e\x00,\x00l\x00o\x00g\x00\n\x00",
               None)
    yield Case("nul-only", b"\x00" * 64, None)
    for i, msg in enumerate(UNICODE):
        yield Case(f"unicode-{i}", table([msg]).encode(), [msg])
    yield Case("invalid-utf8-sequence", b"source,log_message\nA,bad \xc3\x28 seq\nB,ok\n", None)
    yield Case("lone-surrogate", "source,log_message\nA,\ud800x\n".encode("utf-8", "surrogatepass"),
               None)


def _newlines() -> Iterator[Case]:
    msgs = BASE[:5]
    for name, nl in (("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")):
        yield Case(f"newline-{name}", table(msgs, newline=nl).encode(), msgs)
        yield Case(f"newline-{name}-no-final", table(msgs, newline=nl).rstrip(nl).encode(), msgs)
    lines = ["source,log_message", *(f"{SOURCES[i]},{m}" for i, m in enumerate(msgs))]
    mixes = (["\n", "\r\n", "\r", "\n", "\r\n"], ["\r", "\r", "\n", "\r\n", "\n"])
    for i, seps in enumerate(mixes):
        text = "".join(line + sep for line, sep in zip(lines, [*seps, "\n"], strict=False))
        yield Case(f"newline-mixed-{i}", text.encode(), msgs)
    blank = "source,log_message\n\nA,first\n\n\n  \nB,second\n\n"
    yield Case("newline-blank-lines", blank.encode(), ["first", "second"])


def _headers_and_shape() -> Iterator[Case]:
    ok = "A,hello\n"
    variants = ["Source,Log_Message", " source , log_message ", "SOURCE,LOG MESSAGE",
                "log_message,source", "id,source,log_message,extra"]
    for i, header in enumerate(variants):
        body = ok if "id" not in header else "1,A,hello,x\n"
        if header.startswith("log_message"):
            body = "hello,A\n"
        yield Case(f"header-variant-{i}", f"{header}\n{body}".encode(), ["hello"])
    for i, header in enumerate(["source,message", "src,log_mesage", "log_message", "a,b,c", "",
                                "source,source", ",", "\ufeff\ufeff"]):
        yield Case(f"header-bad-{i}", f"{header}\n{ok}".encode(), None)
    for i, text in enumerate(["", " ", "\n\n\n", "\ufeff", "source,log_message\n",
                              "source,log_message"]):
        yield Case(f"empty-{i}", text.encode(), None)
    yield Case("ragged-more-fields", b"source,log_message\nA,one,two,three\nB,plain\n",
               ["one,two,three", "plain"])
    yield Case("ragged-fewer-fields", b"source,log_message\nA\nB,plain\n", ["", "plain"])
    yield Case("ragged-first-row-extra", b"source,log_message\nA,x,y\n", ["x,y"])
    yield Case("empty-messages", b"source,log_message\nA,\nB,\"\"\nC,   \n", ["", "", "   "])
    yield Case("duplicate-rows", table(["same"] * 50).encode(), ["same"] * 50)


def corpus(seed: int = 20261125) -> list[Case]:
    rng = random.Random(seed)
    cases = [*_encodings(), *_delimiters(), *_quoting(), *_huge(), *_binary(rng), *_bombs(),
             *_formulas(), *_nul_and_controls(), *_newlines(), *_headers_and_shape()]
    for i in range(40):  # random message soup: printable noise with delimiters and quotes
        alphabet = "abcxyz ,;\t|\"'=+-@\\/ü€😀"
        msgs = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60)))
                for _ in range(rng.randint(1, 4))]
        cases.append(Case(f"soup-{i}", table(msgs, quote_all=True).encode(), msgs))
    return cases
