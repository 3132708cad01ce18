"""Which template-key version each keyed table was written with.

Tables that keep a template key (the feedback memory, the pattern counts) keep the line
each key came from, so when the masks change (KEY_VERSION in backend.core.normalize) every
stored key can be derived again (from a masked line, as far as the old masks left it; the
baselines are learnt again, backend.logs.rekey). `template_key_versions`
records, per table, the version its keys were made with; no row means version 1, the
key before it was versioned. The re-keying itself lives with the key
(backend.logs.rekey); this module only stores the marker and runs the re-keyers of the
tables that are behind, each in one transaction with its marker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from sqlalchemy import Connection, Engine, Integer, String, delete, insert, inspect, select
from sqlalchemy.orm import Mapped, mapped_column

from backend.feedback.tables import Base

logger = logging.getLogger(__name__)


class KeyVersionRow(Base):
    """The template-key version a table's stored keys were made with."""

    __tablename__ = "template_key_versions"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


def stored_version(connection: Connection, table: str) -> int:
    row = connection.execute(select(KeyVersionRow.version).where(
        KeyVersionRow.table_name == table)).first()
    return int(row[0]) if row is not None else 1


def mark(connection: Connection, table: str, version: int) -> None:
    """Record that `table`'s keys are now made with `version`."""
    connection.execute(delete(KeyVersionRow).where(KeyVersionRow.table_name == table))
    connection.execute(insert(KeyVersionRow).values(table_name=table, version=version))


def rekey(engine: Engine, version: int,
          rekeyers: Mapping[str, Callable[[Connection], int]]) -> dict[str, int]:
    """Run the re-keyer of every table behind `version`; rows changed per table."""
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    if KeyVersionRow.__tablename__ not in tables:
        return {}
    done: dict[str, int] = {}
    for table, rekey_table in rekeyers.items():
        if table not in tables:
            continue
        with engine.begin() as connection:
            if stored_version(connection, table) == version:
                continue
            done[table] = rekey_table(connection)
            mark(connection, table, version)
        logger.info("re-keyed %s to template key v%d: %d rows changed", table, version,
                    done[table])
    return done
