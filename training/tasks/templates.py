"""Template bank for the task generator: (title, description) patterns per category,
loaded from ``data/templates.yaml`` and validated at load.

Slots in braces are filled from the shared pools. The pools are shared by every
category on purpose: products, people and components say nothing about the
category, so the model has to learn from what the task *asks for*. Each pattern
pair is one template; evaluation holds out whole templates.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DATA = Path(__file__).resolve().parent / "data" / "templates.yaml"
_SLOT = re.compile(r"\{(\w+)\}")


class _Pattern(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    description: str


class _Bank(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pools: dict[str, list[str]] = Field(min_length=1)
    templates: dict[str, list[_Pattern]] = Field(min_length=2)
    context: dict[str, list[str]]

    @model_validator(mode="after")
    def _slots_known(self) -> _Bank:
        texts = [p.title + " " + p.description for ps in self.templates.values() for p in ps]
        texts += [c for cs in self.context.values() for c in cs]
        unknown = sorted({s for t in texts for s in _SLOT.findall(t)} - set(self.pools))
        if unknown:
            raise ValueError(f"slots without a pool: {unknown}")
        extra = sorted(set(self.context) - set(self.templates))
        if extra:
            raise ValueError(f"context for unknown categories: {extra}")
        return self


@cache
def load_bank(path: Path = DATA) -> _Bank:
    return _Bank.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


_BANK = load_bank()
POOLS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _BANK.pools.items()}
TEMPLATES: dict[str, list[tuple[str, str]]] = {
    c: [(p.title, p.description) for p in ps] for c, ps in _BANK.templates.items()}
CONTEXT: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _BANK.context.items()}
CATEGORIES: tuple[str, ...] = tuple(TEMPLATES)
