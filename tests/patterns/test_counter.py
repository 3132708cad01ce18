"""The pattern counter and its store: bounded memory, counts and buckets across workers,
baselines and the new flag, with a real SQLite file (and a real PostgreSQL server where
one can start: the store writes through the driver's own SQL) and a clock moved by hand."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import text

from backend.core.normalize import template_key
from backend.feedback.patterns import OTHER_KEY, PatternStore, key_hash
from backend.feedback.store import FeedbackStore
from backend.logs.classifier import Prediction
from backend.logs.patterns import Line, PatternCounter, group_answers
from backend.logs.rekey import rekey_store
from tests.utils.clock import FakeClock

HOUR = 3600


def _store(db: Path | str, per_source: int = 50, baseline: int = 10) -> PatternStore:
    url = db if isinstance(db, str) else f"sqlite:///{db}"
    return PatternStore(FeedbackStore(url), max_per_source=per_source,
                        baseline_records=baseline, bucket_s=HOUR, retention_s=7 * 86400)


def _counter(store: PatternStore, clock: FakeClock, per_source: int = 50,
             sources: int = 50) -> PatternCounter:
    return PatternCounter(lambda: store, max_sources=sources, max_per_source=per_source,
                          bucket_s=HOUR, flush_s=0.0, baseline_refresh_s=0.0, clock=clock)


def _line(source: str, key: str, label: str = "System Notification", n: int = 1) -> Line:
    return Line(source, key, f"{key} from 10.0.0.{n % 9}", label, 0.9, "model", n)


def test_counts_and_buckets_add_up_across_two_workers(store_url: str) -> None:
    clock = FakeClock(10 * HOUR + 10)
    a = _counter(_store(store_url), clock)
    b = _counter(_store(store_url), clock)  # another worker: own engine, same database
    a.add([_line("svc", "disk full on <var>")] * 3)
    b.add([_line("svc", "disk full on <var>", n=2)])
    a.flush()
    b.flush()
    clock.now += HOUR  # the next bucket
    b.add([_line("svc", "disk full on <var>")] * 4)
    a.add([_line("svc", "user <user> logged in", "User Action")])
    b.flush()
    a.flush()
    rows, buckets = a.store.patterns("svc")
    by_key = {r.template_key: r for r in rows}
    disk = by_key["disk full on <var>"]
    assert disk.count == 3 + 2 + 4
    assert buckets[disk.id] == [(10 * HOUR, 5), (11 * HOUR, 4)]
    assert disk.first_seen == 10 * HOUR + 10 and disk.last_seen == 11 * HOUR + 10
    assert disk.example == "disk full on <var> from <var>"  # masked as stored
    assert by_key["user <user> logged in"].label == "User Action"


def test_memory_stays_bounded_under_100000_distinct_keys(store_url: str) -> None:
    clock = FakeClock(10 * HOUR)
    store = _store(store_url, per_source=200)
    counter = _counter(store, clock, per_source=200, sources=5)
    peak = 0
    for start in range(0, 100_000, 10_000):
        counter.add([_line(f"svc{i % 8}", f"template {i}") for i in range(start, start + 10_000)])
        peak = max(peak, counter.size())
        counter.flush()
    assert peak <= 6 * (200 + 1)  # 5 sources + "other", each 200 keys + OTHER_KEY
    rows, buckets = store.patterns()
    assert len({r.source for r in rows}) == 6
    per_source: dict[str, int] = {}
    for r in rows:
        per_source[r.source] = per_source.get(r.source, 0) + 1
    assert max(per_source.values()) <= 200 + 1
    assert sum(r.count for r in rows) == 100_000  # nothing lost: the rest is in <other>
    # and in the buckets too, those of a pattern folded in the write that counted it
    assert sum(n for by_start in buckets.values() for _, n in by_start) == 100_000
    assert all(any(r.template_key == OTHER_KEY for r in rows if r.source == s)
               for s in per_source)


def test_a_template_after_the_baseline_is_new_and_counted_once(store_url: str) -> None:
    clock = FakeClock(10 * HOUR)
    counter = _counter(_store(store_url, baseline=10), clock)
    counter.add([_line("svc", "known <var>")] * 6)
    assert sum(counter.flush().new_patterns.values()) == 0
    assert not counter.baselines()["svc"].complete
    counter.add([_line("svc", "also known <var>")] * 6)  # completes the baseline (12 >= 10)
    assert sum(counter.flush().new_patterns.values()) == 0
    base = counter.baselines()["svc"]
    assert base.complete and base.keys == {"known <var>", "also known <var>"}
    counter.add([_line("svc", "never seen before <var>", "Critical Error")])
    assert counter.flush().new_patterns == {"svc": 1}
    counter.add([_line("svc", "never seen before <var>", "Critical Error")])
    assert sum(counter.flush().new_patterns.values()) == 0  # already counted
    rows, _ = counter.store.patterns("svc")
    fresh = next(r for r in rows if r.template_key == "never seen before <var>")
    assert fresh.problem and not fresh.in_baseline and fresh.count == 2


def test_pin_makes_the_current_patterns_the_baseline(store_url: str) -> None:
    clock = FakeClock(10 * HOUR)
    counter = _counter(_store(store_url, baseline=1000), clock)
    counter.add([_line("svc", "a <var>"), _line("svc", "b <var>", "Error")])
    counter.flush()
    assert not counter.baselines()["svc"].complete
    pinned = counter.store.pin("svc")
    assert pinned is not None and pinned.state == "pinned"
    assert pinned.labels == {"System Notification": 1, "Error": 1}
    counter.forget_baselines()
    assert counter.baselines()["svc"].keys == {"a <var>", "b <var>"}
    assert counter.store.pin("nobody") is None


def test_retention_drops_old_patterns_and_buckets(store_url: str) -> None:
    clock = FakeClock(10 * HOUR)
    store = _store(store_url)
    counter = _counter(store, clock)
    counter.add([_line("svc", "old <var>")])
    counter.flush()
    clock.now += 8 * 86400
    counter.add([_line("svc", "recent <var>")])
    counter.flush()  # expires now and then (every expire_every_s)
    rows, buckets = store.patterns("svc")
    assert [r.template_key for r in rows] == ["recent <var>"]
    assert list(buckets.values()) == [[(int(clock.now - clock.now % HOUR), 1)]]
    assert store.expire(clock.now) == 0  # nothing left to drop


def _answer(source: str, key: str, message: str, label: str, confidence: float
            ) -> Prediction:
    return Prediction(source, message, label, confidence, "model", "v1", template=key or None)


def _no_keys(messages: Sequence[str]) -> list[str]:
    raise AssertionError(f"keys computed again for {list(messages)}")


def test_grouped_answers_tally_exactly_as_the_lines_one_by_one(tmp_path: Path) -> None:
    rows = [(_answer("svc", "disk full on <var>", "disk full on /a", "Error", 0.9), 1),
            (_answer("svc", "user <user> logged in", "user bob logged in", "User Action",
                     0.8), 2),
            (_answer("svc", "disk full on <var>", "disk full on /b", "Error", 0.9), 3),
            (_answer("svc", "disk full on <var>", "disk full on /c", "System Notification",
                     0.6), 1),
            (_answer("web", "disk full on <var>", "disk full on /d", "Error", 0.9), 1),
            (_answer("svc", "disk full on <var>", "disk full on /e", "Error", 0.9), 1)]
    lines = group_answers(rows, str, _no_keys)  # every answer carries its key
    assert len(lines) == 4 and sum(line.weight for line in lines) == 9
    assert lines[-1].message == "disk full on /a"  # the group's first line is its example
    clock = FakeClock(10 * HOUR)
    one_by_one = _counter(_store(tmp_path / "a.db"), clock)
    grouped = _counter(_store(tmp_path / "b.db"), clock)
    one_by_one.add([Line(p.source, p.template or "", p.log_message, p.label, p.confidence,
                         p.tier, n) for p, n in rows])
    grouped.add(lines)
    tallies = [{(s, k): (t.count, dict(t.buckets), dict(t.labels), t.label, t.confidence)
                for s, keys in c._pending.items() for k, t in keys.items()}
               for c in (one_by_one, grouped)]
    assert tallies[0] == tallies[1]
    # the last row of a key decides its label, whichever group it is in
    assert tallies[1][("svc", "disk full on <var>")][3] == "Error"


def test_grouped_answers_key_only_the_answers_without_a_template() -> None:
    asked: list[list[str]] = []

    def keys(messages: Sequence[str]) -> list[str]:
        asked.append(list(messages))
        return [template_key(m) for m in messages]

    rows = [(_answer("svc", "", "disk full on /a", "Error", 0.9), 1),
            (_answer("svc", "disk full on <path>", "disk full on /b", "Error", 0.9), 2),
            (_answer("svc", "", "   ", "Unclassified", 0.0), 1)]
    lines = group_answers(rows, lambda source: source.upper(), keys)
    assert asked == [["disk full on /a"]]  # the blank line is not keyed, the rest carry one
    assert template_key("disk full on /a") == "disk full on <path>"
    assert [(line.source, line.key, line.weight) for line in lines] == [
        ("SVC", "disk full on <path>", 3), ("SVC", "", 1)]


def test_new_masks_rekey_patterns_and_restart_every_baseline(store_url: str, caplog) -> None:
    """A KEY_VERSION change (backend.logs.rekey): a pattern stored under an old key takes its
    example's key now, merging into the pattern already there (counts, times, buckets), and
    every baseline is forgotten (a pinned one with a warning), so the first lines after the
    upgrade are learnt, not reported as new templates."""
    clock = FakeClock(10 * HOUR)
    store = _store(store_url, baseline=4)
    counter = _counter(store, clock)
    line = "Received connection request /10.10.34.11:45307"
    key = template_key(line)
    counter.add([Line("zk", key, line, "System Notification", 0.9, "model", 3),
                 Line("web", "get <path> http/<var>", "GET /a HTTP/1.1", "HTTP Status", 0.9,
                      "model", 5)])
    counter.flush()
    clock.now += HOUR
    old = "received connection request <path><var>"  # what key v2 made of the line
    counter.add([Line("zk", old, "Received connection request <path><var>",
                      "System Notification", 0.9, "model", 2)])
    counter.flush()
    store.pin("web")
    rows, _ = store.patterns("zk")
    [stale] = [r for r in rows if r.template_key == old]
    with store.store.engine.begin() as conn:  # as an older version stored it
        conn.execute(text("UPDATE log_patterns SET example = :e WHERE id = :id")
                     .bindparams(e=line, id=stale.id))
        conn.execute(text("DELETE FROM template_key_versions"))
    assert set(store.baselines()) == {"zk", "web"}

    with caplog.at_level("WARNING"):
        assert rekey_store(store.store) == {"feedback_memory": 0, "log_patterns": 1}
    assert "web" in caplog.text and "pin them again" in caplog.text
    rows, buckets = store.patterns("zk")
    [merged] = rows
    assert (merged.template_key, merged.key_hash) == (key, key_hash(key))
    assert merged.count == 5 and not merged.in_baseline
    assert merged.first_seen == 10 * HOUR and merged.last_seen == 11 * HOUR
    assert buckets[merged.id] == [(10 * HOUR, 3), (11 * HOUR, 2)]
    assert store.baselines() == {}
    assert rekey_store(store.store) == {}  # current now: the next start changes nothing

    counter.add([Line("zk", key, line, "System Notification", 0.9, "model", 4)])
    assert counter.flush().new_patterns.get("zk", 0) == 0  # learning again, nothing "new"
    assert store.baselines()["zk"].complete
