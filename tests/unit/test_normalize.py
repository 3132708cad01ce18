"""Template keys: exact masks, and Loghub lines of one EventId sharing one key."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from backend.core.normalize import template_key, template_keys
from tests.utils.data import shared_file

SAMPLES = ("Apache", "HDFS", "Linux", "OpenSSH", "Thunderbird")


@pytest.mark.parametrize(("message", "expected"), [
    # values: any token with a digit (ints, decimals, negatives, units, versions, ids, IPs)
    ("Disk usage at 91% on node 12", "disk usage at <var> on node <var>"),
    ("error code -5 at offset 12.5", "error code <var> at offset <var>"),
    ("took 0.25s", "took <var>"),
    ("version 2.3.1 installed", "version <var> installed"),
    ("pid 123, 456, 789 died", "pid <var> died"),
    ("Status: 404", "status: <var>"),
    ("request 550e8400-e29b-41d4-a716-446655440000 failed", "request <var> failed"),
    ("blk_-6952295868487656571 terminating", "<var> terminating"),
    ("Connection from 10.0.0.5:8080 refused", "connection from <var> refused"),
    ("Connection closed by 10.0.0.1 [preauth]", "connection closed by <var> [preauth]"),
    ("2001:db8:85a3:0:0:8a2e:370:7334 up", "<var> up"),
    ("host db01.example.com unreachable", "host <var> unreachable"),
    ("host example.com unreachable", "host <var> unreachable"),
    ("pointer 0x7ffde3a0 freed twice, checksum deadbeef1234",
     "pointer <var> freed twice, checksum <var>"),
    # the name in front, the brackets around and the punctuation after a value stay
    ("session opened for user root by (uid=0)", "session opened for user <user> by (uid=<var>)"),
    ("killed process 1234 (java) total-vm:123kB", "killed process <var> (java) total-vm:<var>"),
    ("synchronized to LOCAL(0), stratum 10", "synchronized to <var>, stratum <var>"),
    # short names ending in 0 are words; key=value without a digit stays as written
    ("eth0 link up, IPv6 on", "eth0 link up, <var> on"),
    ("logname= uid=0 euid=0 user=root", "logname= uid=<var> euid=<var> user=root"),
    # a program's name before its [pid] stays; so do a "name/" and the quotes around a value
    ("sshd[41503]: Failed password", "sshd[<var>]: failed password"),
    ('"GET /a HTTP/1.1" 200', '"get <path> http/<var>" <var>'),
    ('"smtp_response": "550 mailbox unavailable"', '"smtp_response": "<var> mailbox unavailable"'),
    # comma-separated key=value pairs are masked pair by pair
    ("cpu,host=web-03 usage_user=12.5,usage_idle=84.4",
     "cpu,host=<var> usage_user=<var>,usage_idle=<var>"),
    # one value: a size restated in brackets, a time unit
    ("1190 bytes (1.16 KB) sent", "<var> bytes sent"),
    ("lifetime <1 sec", "lifetime <var>"),
    # paths (unix and windows), URLs, e-mail
    ("Opened /var/log/app/server.log for writing", "opened <path> for writing"),
    ("C:\\Windows\\temp\\x.dll loaded", "<path> loaded"),
    # a socket address as Java prints it is a value, not a path (it made HDFS's and
    # Zookeeper's connection lines look like HTTP requests); a path under an IP stays a path
    ("Receiving block blk_-16 src: /10.250.19.102:54106 dest: /10.250.19.102:50010",
     "receiving block <var> src: <var> dest: <var>"),
    ("Served block blk_-1 to /10.251.203.80.", "served block <var> to <var>."),
    ("Mounted /10.1.1.1/share/x.txt", "mounted <path>"),
    ("GET https://api.example.com/v1/items?id=5 returned 500", "get <url> returned <var>"),
    ("Mail to bob@example.com bounced", "mail to <email> bounced"),
    # quoted values
    ("Key 'abc123' not found in \"cache\"", "key <str> not found in <str>"),
    # user names in prose
    ("User User123 logged in.", "user <user> logged in."),
    ("Invalid user oracle from 1.1.1.1", "invalid user <user> from <var>"),
    # a word after "user" that is no name stays: a failed login is not a person's session
    ("check pass; user unknown", "check pass; user unknown"),
    ("No more user authentication methods available.",
     "no more user authentication methods available."),
    ("start push user data!", "start push user data!"),
    ("Failed password for invalid user admin from 1.2.3.4 port 22 ssh2",
     "failed password for invalid user <user> from <var> port <var>"),
    ("Accepted password for root from 1.2.3.4 port 22 ssh2",
     "accepted password for <user> from <var> port <var>"),
    # timestamps
    ("Sun Dec 04 04:47:44 2005 worker started", "<time> worker started"),
    ("Release Date: Fri Dec 10 19:02:14 EST 2004", "release date: <time>"),
    ("at 2024-05-01T10:00:00Z job done", "at <time> job done"),
    # whitespace and case
    ("  Multiple   SPACES\there ", "multiple spaces here"),
    ("Backup completed successfully.", "backup completed successfully."),
])
def test_template_key_masks_exact(message: str, expected: str) -> None:
    assert template_key(message) == expected


@pytest.mark.parametrize(("a", "b"), [
    ("User alice logged in.", "User Bob_77 logged in."),
    ("fe80::1ff:fe23:4567:890a down", "fe80::a:b:c:d down"),
    ("Job 1 failed after 3 retries on 10.0.0.1",
     "Job 99812 failed after 12 retries on 172.16.4.20"),
    ("Saved '/tmp/a.txt' (12 KB)", "Saved '/home/x/b.csv' (9000 KB)"),
    ("synchronized to 10.100.20.250, stratum 3", "synchronized to #3#, stratum 1"),
    ("proxy.example.org:5070 open through proxy", "182.254.114.110:80 open through proxy"),
    ("0 bytes sent, lifetime 00:01", "850 bytes (1.2 KB) sent, lifetime <1 sec"),
])
def test_template_key_same_template_same_key(a: str, b: str) -> None:
    assert template_key(a) == template_key(b)


@pytest.mark.parametrize(("a", "b"), [
    ("User alice logged in.", "User alice logged out."),
    ("Disk 3 failed", "Disk 3 recovered"),
    ("GET /a returned 500", "POST /a returned 500"),
    ("link up on en0", "link up on awdl0"),
    ("logname= uid=0 user=root", "logname= uid=0 user=guest"),
])
def test_template_key_different_templates_differ(a: str, b: str) -> None:
    assert template_key(a) != template_key(b)


def test_template_keys_is_elementwise() -> None:
    messages = ["User a logged in.", "Disk 3 failed", ""]
    assert template_keys(messages) == [template_key(m) for m in messages]
    assert template_key("") == ""


def majority_key_share(path: Path) -> float:
    """Share of lines whose key is the most common key of their EventId."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["key"] = template_keys(frame["Content"])
    majority = sum(Counter(group).most_common(1)[0][1]
                   for _, group in frame.groupby("EventId")["key"])
    return majority / len(frame)


@pytest.mark.parametrize("sample", SAMPLES)
def test_loghub_same_event_id_shares_key(sample: str) -> None:
    path = shared_file(f"loghub/{sample}_2k.log_structured.csv")  # missing data fails
    share = majority_key_share(path)
    assert share >= 0.95, f"{sample}: only {share:.3f} of lines share their EventId's key"


def test_template_key_ignores_which_digits_a_line_has() -> None:
    """The router caches keys by the line with digits 1-9 folded to 1; exact only if every mask
    treats those digits alike. Checked on every Loghub sample line."""
    fold = str.maketrans("23456789", "11111111")
    paths = [shared_file(f"loghub/{sample}_2k.log_structured.csv") for sample in SAMPLES]
    for path in paths:
        for line in pd.read_csv(path, dtype=str, keep_default_na=False)["Content"]:
            assert template_key(line) == template_key(line.translate(fold)), line


def test_key_of_a_key_and_of_a_masked_example_is_the_key() -> None:
    """Stored keys are re-derived from stored examples (backend.logs.rekey), and a pattern's
    masked example is relabelled as a line: both must give the line's own key."""
    from backend.core.normalize import masked_example

    for sample in SAMPLES + ("Mac", "Proxifier"):
        path = shared_file(f"loghub/{sample}_2k.log_structured.csv")
        for line in pd.read_csv(path, dtype=str, keep_default_na=False)["Content"]:
            key = template_key(line)
            assert template_key(key) == key, line
            assert template_key(masked_example(line)) == key, line


def test_masked_example_keeps_the_words_and_hides_the_values() -> None:
    from backend.core.normalize import masked_example

    assert (masked_example("Accepted password for Root from 10.0.0.5 port 22 ssh2")
            == "Accepted password for <user> from <var> port <var> <var>")
    assert masked_example("Opened /var/log/App.log for Alice") == "Opened <path> for Alice"
