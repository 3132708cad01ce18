"""Header formats for raw log lines: Loghub-style format strings, presets, `auto` detection.

A format string names the header fields of a line, as in the Loghub benchmark:
`<Date> <Time> <Pid> <Level> <Component>: <Content>`. Text between fields is a
regular expression (Loghub's convention, so `\\[` is a literal bracket and
`(\\[<Pid>\\])?` an optional part); a space matches any run of whitespace. A
field may carry its own pattern, `<Pid:\\d+>`, which presets use so that `auto`
can tell formats apart. Each format compiles once to an anchored regex with
named groups; `Content` (or the format's last field) is the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import re2

# the stated level has one mapping, in backend.logs.levels; re-exported for the doors
from backend.logs.levels import (  # noqa: F401
    LEVEL_FEATURE,
    normalize_level,
    uses_level,
    with_level,
)

CONTENT = "Content"
_FIELD = re.compile(r"<([A-Za-z_]\w*)(?::([^<>]*))?>")
# names the readers add to every record; a format may not define them
RESERVED = frozenset({"line", "line_count", "parsed", "source"})


class LogFormatError(ValueError):
    """A format string that cannot be compiled, with what to fix."""


MAX_PATTERN_CHARS = 4096
# RE2 error text -> the construct it refuses, in words a user can act on
_UNSUPPORTED = (
    (re.compile(r"invalid escape sequence: \\[1-9]"), "a backreference (\\1 .. \\9)"),
    (re.compile(r"\(\?="), "a lookahead ((?=...))"),
    (re.compile(r"\(\?!"), "a negative lookahead ((?!...))"),
    (re.compile(r"\(\?<="), "a lookbehind ((?<=...))"),
    (re.compile(r"\(\?<!"), "a negative lookbehind ((?<!...))"),
    (re.compile(r"\(\?>"), "an atomic group ((?>...))"),
    (re.compile(r"bad repetition operator: [*+?]\+"), "a possessive quantifier (++, *+, ?+)"),
)


def compile_pattern(pattern: str, what: str, dot_all: bool = False) -> Any:
    """A user-supplied regular expression compiled on RE2, whose matching time is linear in
    the line (Python's `re` backtracks: `(a+)+!` on 40 characters takes a day, holding the
    GIL). RE2 refuses backreferences and lookaround; LogFormatError names the construct."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise LogFormatError(f"{what} is {len(pattern):,} characters long; the limit is "
                             f"{MAX_PATTERN_CHARS:,}")
    options = re2.Options()
    options.log_errors = False
    options.dot_nl = dot_all
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(
            exc.args[0], bytes) else str(exc)
        construct = next((name for key, name in _UNSUPPORTED if key.search(reason)), None)
        if construct is None and "(?P=" in pattern:  # RE2 says only "invalid perl operator"
            construct = "a named backreference ((?P=name))"
        if construct is not None:
            raise LogFormatError(
                f"{what} uses {construct}, which the pattern engine does not run: sift "
                "matches user patterns with RE2, in time linear in the line, and RE2 has no "
                f"backreferences or lookaround ({reason}); rewrite the pattern without it"
            ) from None
        raise LogFormatError(f"{what} is not a valid pattern ({reason})") from None


@dataclass(frozen=True)
class LogFormat:
    """A compiled header format: `parse(line)` gives the fields, or None when it does not match."""

    name: str
    spec: str
    fields: tuple[str, ...]
    regex: Any  # an RE2 pattern (see compile_pattern)
    content: str = CONTENT
    template: str | None = None  # builds the message from fields when there is no Content field
    description: str = ""

    def parse(self, line: str) -> dict[str, str] | None:
        match = self.regex.match(line)
        if match is None:
            return None
        fields = match.groupdict("")
        if self.template is not None:
            fields[CONTENT] = self.template.format_map(fields)
        return fields

    @property
    def columns(self) -> tuple[str, ...]:
        """Output columns, in format order, the message column last."""
        names = [f for f in self.fields if f != self.content]
        return (*names, CONTENT)

    @property
    def level_field(self) -> str | None:
        return next((f for f in self.fields if f.lower() in ("level", "severity")), None)


def compile_format(spec: str, name: str = "custom", template: str | None = None,
                   description: str = "") -> LogFormat:
    """Compile a format string (or return the preset of that name)."""
    preset = PRESETS.get(spec.strip().lower()) if name == "custom" else None
    if preset is not None:
        return preset
    parts: list[str] = []
    fields: list[str] = []
    position = 0
    matches = list(_FIELD.finditer(spec))
    if not matches:
        raise LogFormatError(f"the format {spec!r} names no fields; write them in angle "
                             "brackets, e.g. '<Date> <Time> <Level> <Component>: <Content>', "
                             f"or use a preset: {', '.join(PRESETS)} or auto")
    for index, match in enumerate(matches):
        before = spec[position:match.start()]
        if re.search(r"(?<!\\)\[$", before):
            raise LogFormatError(f"<{match.group(1)}> follows an unescaped '[' in {spec!r}; "
                                 r"text between fields is a regular expression: write \[ "
                                 r"and \] for literal brackets")
        parts.append(_literal(before))
        field, pattern = match.group(1), match.group(2)
        if field in fields:
            raise LogFormatError(f"the format names the field <{field}> twice")
        if field.lower() in RESERVED:
            raise LogFormatError(f"<{field}> is a reserved column name (line, line_count, "
                                 "parsed, source); rename the field")
        fields.append(field)
        last = index == len(matches) - 1
        parts.append(f"(?P<{field}>{pattern or ('.*' if last else '.*?')})")
        position = match.end()
    parts.append(_literal(spec[position:]))
    if len(spec) > MAX_PATTERN_CHARS:
        raise LogFormatError(f"the format is {len(spec):,} characters long; the limit is "
                             f"{MAX_PATTERN_CHARS:,}")
    try:
        regex = compile_pattern("^" + "".join(parts) + "$", f"the format {spec!r}", dot_all=True)
    except LogFormatError as exc:
        if "is not a valid pattern" not in str(exc):
            raise
        raise LogFormatError(f"{exc}; text between fields is a regular expression: write a "
                             r"literal [ ] ( ) . * + ? as \[ \] \( \) \. \* \+ \?") from None
    content = CONTENT if CONTENT in fields else fields[-1]
    if template is not None:
        content = CONTENT
    return LogFormat(name, spec, tuple(fields), regex, content, template, description)


def _literal(text: str) -> str:
    """Spaces match any run of whitespace; a space a quantifier applies to (` +`, ` *`)
    becomes one `\\s` so that the quantifier keeps its meaning (RE2 has no `\\s++`)."""
    return re.sub(r" +(?![*+?{])", r"\\s+", text).replace(" ", r"\s")


_TIME = r"\d\d:\d\d:\d\d"
_SYSLOG_STAMP = r"[A-Z][a-z]{2} +\d{1,2} " + _TIME
_LEVELS = r"TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|SEVERE|CRITICAL|FATAL"

# Order matters for `auto`: when two presets match the same share of lines, the
# earlier one wins, so the narrower shapes come first (the Loghub samples before
# the general syslog shape they are instances of).
_PRESET_SPECS: tuple[tuple[str, str, str | None, str], ...] = (
    ("hdfs", r"<Date:\d{6}> <Time:\d{6}> <Pid:\d+> <Level:[A-Z]+> <Component:\S+>: <Content>",
     None, "Loghub HDFS sample (Hadoop DataNode / NameNode)"),
    ("openssh", rf"<Date:[A-Z][a-z]{{2}}> +<Day:\d{{1,2}}> <Time:{_TIME}> <Component:\S+> "
                r"sshd\[<Pid:\d+>\]: <Content>", None, "Loghub OpenSSH sample (sshd via syslog)"),
    ("thunderbird", rf"<Label:\S+> <Timestamp:\d+> <Date:\d{{4}}\.\d\d\.\d\d> <User:\S+> "
                    rf"<Month:[A-Z][a-z]{{2}}> +<Day:\d{{1,2}}> <Time:{_TIME}> <Location:\S+> "
                    r"<Component:.*?>(\[<PID:\d+>\])?: <Content>", None,
     "Loghub Thunderbird sample (supercomputer syslog with alert label)"),
    ("linux", rf"<Month:[A-Z][a-z]{{2}}> +<Date:\d{{1,2}}> <Time:{_TIME}> <Host:\S+> "
              r"<Component:.*?>(\[<PID:\d+>\])?: <Content>", None,
     "Loghub Linux sample (syslog; Loghub calls the host field Level, sift calls it Host)"),
    ("android", r"<Date:\d\d-\d\d> <Time:\d\d:\d\d:\d\d\.\d{3}> <Pid:\d+> <Tid:\d+> "
                r"<Level:[VDIWEFA]> <Component:[^:]*?>: <Content>", None,
     "Android logcat (threadtime): date time pid tid level tag: message"),
    ("hadoop", r"<Date:\d{4}-\d\d-\d\d> <Time:\d\d:\d\d:\d\d,\d{3}> <Level:[A-Z]+> "
               r"\[<Process:[^\]]*>\] <Component:\S+>: <Content>", None,
     "Hadoop / YARN MapReduce log4j (date time LEVEL [thread] class: message)"),
    ("openstack", r"(<Logrecord:\S+\.log\S*> )?<Date:\d{4}-\d\d-\d\d> "
                  r"<Time:\d\d:\d\d:\d\d\.\d+> <Pid:\d+> <Level:[A-Z]+> <Component:\S+> "
                  r"(\[<ADDR:[^\]]*>\] )?<Content>", None,
     "OpenStack (oslo.log; Loghub's sample prefixes the file name)"),
    ("spark", r"<Date:\d\d/\d\d/\d\d> <Time:\d\d:\d\d:\d\d> <Level:[A-Z]+> "
              r"<Component:\S+>: <Content>", None,
     "Spark log4j default (yy/MM/dd HH:mm:ss LEVEL class: message)"),
    ("windows", r"<Date:\d{4}-\d\d-\d\d> <Time:\d\d:\d\d:\d\d>, <Level:[A-Za-z]+> "
                r"<Component:\S+> <Content>", None,
     "Windows CBS / component servicing log (date time, Level Component message)"),
    ("zookeeper", r"<Date:\d{4}-\d\d-\d\d> <Time:\d\d:\d\d:\d\d,\d{3}> - "
                  r"<Level:[A-Z]+> \[<Node:.*>:<Component:[^:@\]]*>@<Id:\d+>\] - <Content>",
     None, "ZooKeeper log4j (date time - LEVEL [thread:class@line] - message)"),
    ("healthapp", r"<Time:\d{8}-\d{1,2}:\d{1,2}:\d{1,2}:\d+>\|<Component:[^|]*>\|"
                  r"<Pid:\d+>\|<Content>", None,
     "Loghub HealthApp sample (time|component|pid|message)"),
    ("proxifier", r"\[<Time:\d\d\.\d\d \d\d:\d\d:\d\d>\] <Program:.*?> - <Content>", None,
     "Proxifier log ([MM.dd HH:mm:ss] program - message)"),
    ("apache-error", r"\[<Time:[^\]]+>\] \[<Module:[\w-]*>:<Level:\w+>\] "
                     r"\[pid <Pid:\d+>(:tid <Tid:\d+>)?\]( \[client <Client:[^\]]+>\])? "
                     r"<Content>", None, "Apache httpd 2.4 ErrorLog"),
    ("apache", r"\[<Time:[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d [\d:.]+ \d{4}>\] "
               r"\[<Level:[a-z]+>\] <Content>", None,
     "Loghub Apache sample (httpd 2.2 ErrorLog)"),
    ("nginx-error", rf"<Date:\d{{4}}/\d\d/\d\d> <Time:{_TIME}> \[<Level:[a-z]+>\] "
                    r"<Pid:\d+>#<Tid:\d+>: (\*<Connection:\d+> )?<Content>", None,
     "nginx error_log"),
    ("access", r"<Client:\S+> <Ident:\S+> <User:\S+> \[<Time:[^\]]+>\] "
               r'"<Request:[^"]*>" <Status:\d{3}> <Size:\d+|->'
               r'( "<Referer:[^"]*>" "<UserAgent:[^"]*>")?<Extra:.*>',
     "{Request} status {Status} size {Size}",
     "Apache / nginx access log (Common or Combined Log Format)"),
    ("syslog-5424", r"(\x3c<Priority:\d{1,3}>\x3e)?<Version:\d{1,2}> <Timestamp:\S+> "
                    r"<Host:\S+> <App:\S+> <ProcId:\S+> <MsgId:\S+> "
                    r"<StructuredData:-|(?:\[[^\]]*\])+>( <Content>)?", None,
     "syslog RFC 5424"),
    ("syslog", rf"(\x3c<Priority:\d{{1,3}}>\x3e)?<Timestamp:{_SYSLOG_STAMP}> <Host:\S+> "
               r"<Tag:.*?>(\[<Pid:\d+>\])?: <Content>", None,
     "syslog RFC 3164 / BSD (as rsyslog and syslog-ng write files)"),
    ("log4j", r"<Time:(\d{4}-\d\d-\d\d[ T])?\d\d:\d\d:\d\d[.,]\d{3}> \[<Thread:[^\]]*>\] "
              rf"<Level:{_LEVELS}> <Logger:\S+> - <Content>", None,
     "log4j2 / logback default pattern: %d [%t] %-5level %logger{36} - %msg"),
    ("python", rf"<Level:{_LEVELS}>:<Logger:[^:\s]*>:<Content>", None,
     "Python logging default (basicConfig): %(levelname)s:%(name)s:%(message)s"),
)
PRESETS: dict[str, LogFormat] = {}
for _name, _spec, _template, _about in _PRESET_SPECS:
    PRESETS[_name] = compile_format(_spec, _name, _template, _about)
PRESET_ALIASES = {"apache-access": "access", "nginx-access": "access", "nginx": "access",
                  "syslog-3164": "syslog", "rfc3164": "syslog", "rfc5424": "syslog-5424",
                  "logback": "log4j"}
for _alias, _target in PRESET_ALIASES.items():
    PRESETS[_alias] = PRESETS[_target]


@dataclass(frozen=True)
class Detection:
    """What `auto` chose and why (the share of sampled lines each candidate matched)."""

    format: LogFormat | None
    matched: float
    sampled: int
    ranking: tuple[tuple[str, float], ...]

    def describe(self) -> str:
        if self.format is None:
            best = ", ".join(f"{n} {s:.0%}" for n, s in self.ranking[:3]) or "none"
            return (f"auto: no preset fits the first {self.sampled} lines (best: {best}); "
                    "each line is classified whole")
        return (f"auto: chose {self.format.name} ({self.format.description}); it matches "
                f"{self.matched:.0%} of the first {self.sampled} lines")


AUTO_SAMPLE = 200
AUTO_MIN_SHARE = 0.1


def detect(lines: Iterable[str], sample: int = AUTO_SAMPLE) -> Detection:
    """Try every preset on the first non-blank lines; the best share wins (ties: preset order).

    A candidate must match the first line (a file starts with a record header) and at least
    `AUTO_MIN_SHARE` of the sample (continuation lines of multi-line records do not match).
    """
    taken = []
    for line in lines:
        text = line.strip()
        if text:
            taken.append(text)
            if len(taken) >= sample:
                break
    if not taken:
        return Detection(None, 0.0, 0, ())
    scores = []
    for name, _spec, _template, _about in _PRESET_SPECS:
        regex = PRESETS[name].regex
        hits = sum(1 for text in taken if regex.match(text))
        if regex.match(taken[0]):
            scores.append((name, hits / len(taken)))
    ranking = tuple(sorted(scores, key=lambda s: -s[1]))  # stable: ties keep preset order
    if not ranking or ranking[0][1] < AUTO_MIN_SHARE:
        return Detection(None, ranking[0][1] if ranking else 0.0, len(taken), ranking)
    name, share = ranking[0]
    return Detection(PRESETS[name], share, len(taken), ranking)


def resolve(spec: str | None, head: Iterable[str] | None = None
            ) -> tuple[LogFormat | None, str | None]:
    """(format, note) for a `--log-format` value: None/''/'none' is whole lines, 'auto' detects
    on `head`, a preset name or a format string compiles."""
    value = (spec or "").strip()
    if value.lower() in ("", "none", "line", "raw"):
        return None, None
    if value.lower() == "auto":
        found = detect(head or ())
        return found.format, found.describe()
    return compile_format(value), None


def presets_table() -> Mapping[str, str]:
    """Preset name -> what it is for (for help texts and the UI)."""
    return {name: PRESETS[name].description for name, *_ in _PRESET_SPECS}
