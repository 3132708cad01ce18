"""Template banks for the synthetic log generator, loaded from ``data/templates.yaml``
and validated at load (pydantic): this module keeps only the shape and the rules.

Each label has a ``LabelSpec``: its share of generated rows, the sources it is
drawn from (with relative weights) and its templates. A template is a tuple
``(name, format_string)`` or ``(name, format_string, pinned_sources)``; the
format string uses named slots (``{ip}``, ``{uuid}``, ...) that
``training.logs.generator`` fills with realistic values. A slot name followed by
``_2``/``_3`` draws a second independent value of the same kind; a slot that
appears twice in one template gets the same value both times.

Template names are part of the public ``template_id`` (``"<slug>/<name>"``), so
rename them only deliberately.

Evaluation holds out whole templates, so a label is only learnable if its
concept appears in many formats: every model-tier label has templates in each
family where it plausibly occurs (plain sentence, terse lowercase, key=value,
JSON, syslog/systemd/kernel prefix, bracketed component, access/request line),
and no format belongs to one label alone. JSON templates carry a readable
message field because ``template_key`` masks quoted single tokens (JSON keys
included). The label boundaries the banks keep consistently:

- System Notification: what the platform did by itself (deploys, scheduled jobs,
  image pulls, reports sent on a schedule, cron); User Action: what a named
  person did in the product.
- Critical Error: a process, host, cluster or data set is gone (crash, core
  dump, fatal runtime error, kernel panic, data loss); Error: one request, job
  or operation failed and the system carries on.
- Security Alert: an attack, abuse or policy violation (not an ordinary sign-in
  or settings change); HTTP Status: a request and its status code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DATA = Path(__file__).resolve().parent / "data" / "templates.yaml"

Template = tuple[str, str] | tuple[str, str, tuple[str, ...]]


@dataclass(frozen=True)
class LabelSpec:
    label: str
    slug: str
    share: float
    sources: dict[str, float]
    templates: list[Template]
    # Fixed, simple patterns that a regex tier can match exactly.
    regex_templates: list[Template] = field(default_factory=list)


class _TemplateData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    text: str = Field(min_length=1)
    sources: list[str] | None = Field(default=None, min_length=1)

    def as_tuple(self) -> Template:
        return (self.name, self.text) if self.sources is None else (
            self.name, self.text, tuple(self.sources))


class _LabelData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1)
    slug: str = Field(pattern=r"^[a-z0-9_]+$")
    share: float = Field(gt=0, le=1)
    sources: dict[str, float] = Field(min_length=1)
    templates: list[_TemplateData] = Field(min_length=1)
    regex_templates: list[_TemplateData] = []

    @model_validator(mode="after")
    def _names_unique(self) -> _LabelData:
        names = [t.name for t in [*self.regex_templates, *self.templates]]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"{self.label}: template names repeated {repeated} (they are "
                             "part of the template_id)")
        return self


class _Banks(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: list[_LabelData] = Field(min_length=1)


@cache
def load_label_specs(path: Path = DATA) -> tuple[LabelSpec, ...]:
    """The validated banks, in file order (the order is part of the seeded output)."""
    banks = _Banks.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    return tuple(LabelSpec(d.label, d.slug, d.share, dict(d.sources),
                           [t.as_tuple() for t in d.templates],
                           [t.as_tuple() for t in d.regex_templates]) for d in banks.labels)


LABEL_SPECS: tuple[LabelSpec, ...] = load_label_specs()
