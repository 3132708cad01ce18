"""Format strings, presets, `auto`, multi-line records and the level marker (issue 18).

Example lines follow the shapes each tool documents: RFC 3164 / 5424 examples,
the Common/Combined Log Format, Apache 2.4 ErrorLog, nginx error_log, the
log4j2/logback default pattern and Python's logging.basicConfig default.
"""

from __future__ import annotations

import pytest

from backend.logs.logformat import (
    PRESETS,
    LogFormatError,
    compile_format,
    detect,
    normalize_level,
    uses_level,
    with_level,
)
from backend.logs.rawlog import LogReading, parse_text
from backend.logs.shipped import lookup, output_names, split_fields

EXAMPLES = {
    "syslog": ("<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8",
               {"Host": "mymachine", "Tag": "su", "Pid": "230", "Priority": "34",
                "Content": "'su root' failed for lonvick on /dev/pts/8"}),
    "syslog-5424": ("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
                    '[exampleSDID@32473 iut="3"] An application event log entry',
                    {"App": "evntslog", "MsgId": "ID47",
                     "Content": "An application event log entry"}),
    "access": ('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" '
               '200 2326 "http://www.example.com/start.html" "Mozilla/4.08"',
               {"Client": "127.0.0.1", "User": "frank", "Status": "200",
                "Content": "GET /apache_pb.gif HTTP/1.0 status 200 size 2326"}),
    "apache-error": ("[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid "
                     "4328636416] [client 72.15.99.187] File does not exist: /htdocs/favicon.ico",
                     {"Module": "core", "Level": "error", "Pid": "35708",
                      "Client": "72.15.99.187",
                      "Content": "File does not exist: /htdocs/favicon.ico"}),
    "nginx-error": ('2026/12/02 10:11:12 [error] 1234#5678: *9 open() "/var/www/x" failed '
                    "(2: No such file or directory)",
                    {"Level": "error", "Pid": "1234", "Connection": "9",
                     "Content": 'open() "/var/www/x" failed (2: No such file or directory)'}),
    "log4j": ("2026-12-02 10:11:12.345 [main] WARN  com.example.App - Low disk space",
              {"Thread": "main", "Level": "WARN", "Logger": "com.example.App",
               "Content": "Low disk space"}),
    "python": ("WARNING:urllib3.connectionpool:Retrying (Retry(total=2)) after connection broken",
               {"Level": "WARNING", "Logger": "urllib3.connectionpool",
                "Content": "Retrying (Retry(total=2)) after connection broken"}),
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_preset_parses_its_documented_shape(name: str) -> None:
    line, expected = EXAMPLES[name]
    fields = PRESETS[name].parse(line)
    assert fields is not None
    assert {k: fields[k] for k in expected} == expected


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_auto_picks_the_preset_of_each_shape(name: str) -> None:
    line = EXAMPLES[name][0]
    found = detect([line, line])
    assert found.format is not None and found.format.name == name


def test_auto_without_a_fitting_preset_reads_whole_lines() -> None:
    found = detect(["just some text", "more text"])
    assert found.format is None and "classified whole" in found.describe()


def test_format_string_with_field_patterns_and_optional_parts() -> None:
    fmt = compile_format(r"<Date> <Time> <Level:[A-Z]+> <Component>(\[<Pid:\d+>\])?: <Content>")
    assert fmt.parse("2026-12-02 10:00:00 ERROR kernel[12]: oops")["Pid"] == "12"
    assert fmt.parse("2026-12-02 10:00:00 ERROR kernel: oops")["Pid"] == ""
    assert fmt.parse("2026-12-02 10:00:00 error kernel: oops") is None
    assert fmt.columns[-1] == "Content" and fmt.level_field == "Level"


@pytest.mark.parametrize(("spec", "words"), [
    ("<A> <A>: <Content>", "twice"),
    ("<line> <Content>", "reserved"),
    ("no fields here", "names no fields"),
    ("<A> (<Content>", "not a valid pattern"),
    ("[<Time>] <Content>", "unescaped"),
])
def test_bad_format_strings_say_what_to_fix(spec: str, words: str) -> None:
    with pytest.raises(LogFormatError, match=words):
        compile_format(spec)


def test_python_tracebacks_join_their_record() -> None:
    text = ("INFO:app:starting\n"
            "ERROR:app:request failed\n"
            "Traceback (most recent call last):\n"
            '  File "app.py", line 3, in <module>\n'
            "ZeroDivisionError: division by zero\n"
            "INFO:app:done\n")
    records, stats = parse_text(text, LogReading(PRESETS["python"], source_field="Logger"))
    assert [(r.line, r.line_count) for r in records] == [(1, 1), (2, 4), (6, 1)]
    assert records[1].message().endswith("ZeroDivisionError: division by zero")
    assert stats.joined == 3 and stats.unmatched == 0
    assert LogReading(PRESETS["python"], source_field="Logger").row(records[0])[3] == "app"


def test_record_start_pattern_overrides_the_header() -> None:
    text = "== one\nbody a\n== two\nbody b\n"
    records, _ = parse_text(text, LogReading(None, record_start=r"^== "))
    assert [r.message() for r in records] == ["== one\nbody a", "== two\nbody b"]


def test_unknown_source_field_is_refused() -> None:
    with pytest.raises(LogFormatError, match="not a field"):
        LogReading(PRESETS["hdfs"], source_field="Host")


def test_levels_map_onto_five_classes_and_mark_the_message() -> None:
    assert [normalize_level(v) for v in ("warning", "E", "core:crit", "notice", "combo")] == [
        "WARN", "ERROR", "FATAL", "INFO", None]
    assert with_level("disk full", "err") == "[lvl_error] disk full"
    assert with_level("disk full", "dn228") == "disk full"  # not a level: unchanged
    assert uses_level({"level_feature": True}) and not uses_level({})


def test_shipped_field_lookup_and_output_names() -> None:
    record = {"kubernetes": {"container_name": "api"}, "log.file": "x"}
    assert lookup(record, "kubernetes.container_name") == "api"
    assert lookup(record, "log.file") == "x" and lookup(record, "missing.key") is None
    assert split_fields("log, msg ,", "message") == ("log", "msg")
    assert split_fields(None, "message,log") == ("message", "log")
    names = output_names([{"tier": 1}, None, {"sift_tier": 2}])
    assert names["tier"] == "sift_sift_tier" and names["target_label"] == "target_label"
