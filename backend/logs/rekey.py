"""Re-derive the template keys stored in the feedback store when KEY_VERSION changes.

Runs once per start, after the schema migrations (backend.api.learning), and is a no-op
when every keyed table is current (backend.feedback.keyversions keeps the marker).

- feedback memory: each entry's key is derived again from its example line, so a
  correction taught under the old key still answers its template. The example is the
  first 1,000 characters of the line: a longer line whose key depends on its tail gets
  the key of its head (the one thing that cannot be carried over).
- pattern counts: each pattern's key is derived again from its example, and patterns
  whose keys meet are merged (counts, times and buckets added). Their examples are
  *masked* lines, so what an older mask hid cannot be read again (key v2 wrote a socket
  address as `<path><var>`): the same source's lines may now get keys its baseline never
  saw. So every source's baseline is forgotten, and its next lines form a new one, as
  `DELETE /v1/logs/baselines/{source}` does; a pinned baseline too, with a warning that
  names it.
  Without this, the first lines after an upgrade of the masks raise a "new templates"
  drift alarm on every source whose keys changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Connection, text

from backend.core.normalize import KEY_VERSION, template_key
from backend.feedback.keyversions import rekey
from backend.feedback.patterns import OTHER_KEY, PINNED, key_hash
from backend.feedback.store import FeedbackStore
from backend.logs.pattern_view import EXAMPLE_CHARS

logger = logging.getLogger(__name__)


def rekey_memory(connection: Connection) -> int:
    rows = connection.execute(text("SELECT id, example, template_key FROM feedback_memory"))
    changed = []
    for entry_id, example, key in rows.all():
        new = template_key(example or "")
        if new != key:
            changed.append({"id": entry_id, "key": new})
    if changed:
        connection.execute(text("UPDATE feedback_memory SET template_key = :key WHERE id = :id"),
                           changed)
    return len(changed)


def _merge_pattern(connection: Connection, old_id: int, into: int) -> None:
    """Add pattern `old_id`'s count, times and buckets to pattern `into`, then drop it (plain
    SQL that SQLite and PostgreSQL both run)."""
    count, first, last = connection.execute(text(
        "SELECT count, first_seen, last_seen FROM log_patterns WHERE id = :old")
        .bindparams(old=old_id)).one()
    connection.execute(text(
        "UPDATE log_patterns SET count = count + :count,"
        " first_seen = CASE WHEN first_seen > :first THEN :first ELSE first_seen END,"
        " last_seen = CASE WHEN last_seen < :last THEN :last ELSE last_seen END"
        " WHERE id = :into").bindparams(count=count, first=first, last=last, into=into))
    connection.execute(text(
        "INSERT INTO log_pattern_buckets (pattern_id, start, count) SELECT :into, start, count"
        " FROM log_pattern_buckets WHERE pattern_id = :old ON CONFLICT (pattern_id, start)"
        " DO UPDATE SET count = log_pattern_buckets.count + excluded.count")
        .bindparams(old=old_id, into=into))
    connection.execute(text("DELETE FROM log_pattern_buckets WHERE pattern_id = :old")
                       .bindparams(old=old_id))
    connection.execute(text("DELETE FROM log_patterns WHERE id = :old").bindparams(old=old_id))


def rekey_patterns(connection: Connection) -> int:
    """Derive every pattern's key again from its example (merging patterns whose keys meet)
    and forget every source's baseline (module docstring); patterns re-keyed."""
    rows = connection.execute(text(
        "SELECT id, source, key_hash, template_key, example FROM log_patterns ORDER BY id"))
    entries = rows.all()
    by_hash: dict[tuple[str, str], int] = {(source, hashed): entry_id
                                           for entry_id, source, hashed, _, _ in entries}
    changed = 0
    for entry_id, source, hashed, key, example in entries:
        # an example cut at EXAMPLE_CHARS may key differently from its line: left as it is
        whole = example and len(example) < EXAMPLE_CHARS and key != OTHER_KEY
        new = template_key(example) if whole else key
        if not new or new == key:
            continue
        changed += 1
        new_hash = key_hash(new)
        into = by_hash.get((source, new_hash))
        if into is not None:
            _merge_pattern(connection, entry_id, into)
        else:
            connection.execute(text(
                "UPDATE log_patterns SET template_key = :key, key_hash = :hash WHERE id = :id")
                .bindparams(key=new, hash=new_hash, id=entry_id))
            by_hash[(source, new_hash)] = entry_id
        del by_hash[(source, hashed)]
    pinned = [row[0] for row in connection.execute(
        text("SELECT source FROM log_baselines WHERE state = :pinned").bindparams(
            pinned=PINNED))]
    if pinned:
        logger.warning("template keys changed: the baselines pinned for %s are forgotten and "
                       "re-learnt from their next lines; pin them again once they are",
                       ", ".join(sorted(pinned)))
    connection.execute(text("DELETE FROM log_baselines"))
    connection.execute(text("UPDATE log_patterns SET in_baseline = :no").bindparams(no=False))
    return changed


REKEYERS: dict[str, Callable[[Connection], int]] = {"feedback_memory": rekey_memory,
                                                    "log_patterns": rekey_patterns}


def rekey_store(store: FeedbackStore) -> dict[str, int]:
    """Bring every keyed table of `store` to KEY_VERSION; rows changed per table."""
    return rekey(store.engine, KEY_VERSION, REKEYERS)
