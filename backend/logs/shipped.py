"""Records as log shippers send them: NDJSON or a JSON array of arbitrary objects.

Vector's `http` sink (codec `json`) posts a JSON array of events, or NDJSON with
`framing.method = "newline_delimited"`; its events carry `message`, `host`,
`timestamp`, `source_type` and source-specific keys (`file`, `container_name`,
`kubernetes.container_name`, `appname`). Fluent Bit's `http` output posts a JSON
array (`format json`) or NDJSON (`format json_lines`); records from `tail` carry
`log` (plus `date`), from `systemd` `MESSAGE`, from `syslog` `message`/`ident`/`host`.
The message and source are looked up by a list of candidate field names (dotted
names reach into nested objects); every record comes back whole, with the label
fields added under names that do not collide with its own keys.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from backend.logs.columns import PREFIX, RESULT_COLUMNS

# where shippers put the level: plain, ECS (`log.level`), OTLP-style, Python's logging
LEVEL_FIELDS = ("level", "severity", "log.level", "severity_text", "severity_number",
                "levelname", "loglevel")
OUTPUT_FIELDS = RESULT_COLUMNS  # one set of result columns on every door
_EXCERPT = 120


@dataclass
class ShippedBatch:
    """Parsed records (None where a line was refused), what to classify, and the refusals."""

    records: list[dict[str, Any] | None] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)
    index: list[int] = field(default_factory=list)  # record position of each pair
    levels: list[object] = field(default_factory=list)  # each pair's stated level, or None
    rejected: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "ndjson"
    warnings: list[str] = field(default_factory=list)


class _NonFinite:
    """A NaN / Infinity / -Infinity / out-of-range number as parsed, before it becomes null."""

    def __init__(self, text: str) -> None:
        self.text = text


def _loads(text: str) -> Any:
    """json.loads, with non-finite numbers (which Python's parser accepts but JSON has not,
    and our answer cannot carry) marked, to be nulled by `_nulled`."""
    return json.loads(text, parse_constant=_NonFinite, parse_float=_float)


def _float(text: str) -> float | _NonFinite:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def _nulled(value: Any, path: str, found: list[str]) -> Any:
    """`value` with every non-finite number replaced by None; `found` gets `field (value)`."""
    if isinstance(value, _NonFinite):
        found.append(f"{path or 'the value'} ({value.text})")
        return None
    if isinstance(value, dict):
        return {k: _nulled(v, f"{path}.{k}" if path else str(k), found) for k, v in value.items()}
    if isinstance(value, list):
        return [_nulled(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def split_fields(value: str | Sequence[str] | None, default: str | Sequence[str]
                 ) -> tuple[str, ...]:
    """A comma-separated list (query parameter or setting) as candidate names."""
    def names(items: str | Sequence[str]) -> tuple[str, ...]:
        parts = items.split(",") if isinstance(items, str) else items
        return tuple(v.strip() for v in parts if v and v.strip())

    return (names(value) if value is not None else ()) or names(default)


def lookup(record: Mapping[str, Any], name: str) -> Any:
    """`record[name]`, else the dotted path (`kubernetes.container_name`), else None."""
    if name in record:
        return record[name]
    value: Any = record
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return value if isinstance(value, str) else json.dumps(value)


def stated_level(record: Mapping[str, Any]) -> object:
    """The record's level as it states it (backend.logs.levels reads it), or None."""
    for name in LEVEL_FIELDS:
        value = lookup(record, name)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return value
    return None


def _first(record: Mapping[str, Any], names: Sequence[str]) -> str | None:
    for name in names:
        text = _text(lookup(record, name))
        if text is not None:
            return text
    return None


def parse_body(data: bytes, message_fields: Sequence[str], source_fields: Sequence[str],
               default_source: str = "") -> ShippedBatch:
    """NDJSON (one object a line) or a JSON array of objects; a bad line or element is
    refused with its 1-based line (NDJSON) or position (array) and the reason."""
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    batch = ShippedBatch()
    if text.lstrip().startswith("["):
        batch.kind = "array"
        try:
            items = _loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
            raise ValueError(f"the body starts like a JSON array but is not valid JSON "
                             f"({exc}); send one array of objects, or NDJSON") from None
        for position, item in enumerate(items, start=1):
            _add(batch, position, item, None, message_fields, source_fields, default_source)
        return batch
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            item = _loads(line)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
            batch.records.append(None)
            batch.rejected.append({"line": number, "error": f"invalid JSON ({exc})",
                                   "raw": line.strip()[:_EXCERPT]})
            continue
        _add(batch, number, item, line, message_fields, source_fields, default_source)
    return batch


def _add(batch: ShippedBatch, number: int, item: Any, line: str | None,
         message_fields: Sequence[str], source_fields: Sequence[str],
         default_source: str) -> None:
    where = "line" if batch.kind == "ndjson" else "item"
    found: list[str] = []
    item = _nulled(item, "", found)
    if found:  # one bad field does not sink the record: it is null, and said so
        batch.warnings.append(f"{where} {number}: {', '.join(found)} is not a finite number, "
                              "which JSON cannot carry; set to null")
    raw = (line or json.dumps(item, default=str)).strip()[:_EXCERPT]
    error = None
    if not isinstance(item, dict):
        error = f"not a JSON object (a {type(item).__name__})"
    else:
        message = _first(item, message_fields)
        if message is None:
            error = (f"no message field: looked for {', '.join(message_fields)} (set "
                     "message_field to the name your shipper uses)")
    if error is not None:
        batch.records.append(None)
        batch.rejected.append({where: number, "error": error, "raw": raw})
        return
    assert isinstance(item, dict) and message is not None
    batch.index.append(len(batch.records))
    batch.records.append(item)
    batch.pairs.append((_first(item, source_fields) or default_source, message))
    batch.levels.append(stated_level(item))


def output_names(records: Sequence[Mapping[str, Any] | None]) -> dict[str, str]:
    """Label field -> the name it gets in every record of the batch (prefixed on a clash)."""
    taken = {key for record in records if record for key in record}
    names = {}
    for name in OUTPUT_FIELDS:
        target = name
        while target in taken:
            target = PREFIX + target
        taken.add(target)
        names[name] = target
    return names


def labelled(batch: ShippedBatch, results: Sequence[Mapping[str, Any]]
             ) -> tuple[list[dict[str, Any]], list[str]]:
    """The accepted records in order, each with the label fields added; and a warning for
    every label field that had to be renamed."""
    names = output_names(batch.records)
    out = []
    for position, result in zip(batch.index, results, strict=True):
        record = dict(batch.records[position] or {})
        for name, target in names.items():
            record[target] = result.get(name)
        out.append(record)
    warnings = [f"records already have a field {name!r}; it is kept as sent and the result "
                f"is in {target!r}" for name, target in names.items() if name != target]
    return out, warnings
