"""Re-derive the template keys stored in the feedback store when KEY_VERSION changes.

Runs once per start, after the schema migrations (backend.api.learning), and is a no-op
when every keyed table is current (backend.feedback.keyversions keeps the marker).

- feedback memory: each entry's key is derived again from its example line, so a
  correction taught under the old key still answers its template. The example is the
  first 1,000 characters of the line: a longer line whose key depends on its tail gets
  the key of its head (the one thing that cannot be carried over).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, text

from backend.core.normalize import KEY_VERSION, template_key
from backend.feedback.keyversions import rekey
from backend.feedback.store import FeedbackStore


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


REKEYERS: dict[str, Callable[[Connection], int]] = {"feedback_memory": rekey_memory}


def rekey_store(store: FeedbackStore) -> dict[str, int]:
    """Bring every keyed table of `store` to KEY_VERSION; rows changed per table."""
    return rekey(store.engine, KEY_VERSION, REKEYERS)
