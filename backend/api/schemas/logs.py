"""Bodies of the log classification endpoints (/v1/logs, /classify)."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, PrivateAttr, field_validator

EXAMPLE_LOGS: list[Any] = [
    {"source": "ModernCRM", "log_message": "User User123 logged in."},
    {"source": "ComputeCloud", "log_message":
        'nova.osapi_compute.wsgi.server [req-b9718cd8] 10.11.10.1 "GET /v2/servers/detail '
        'HTTP/1.1" status: 200 len: 1893 time: 0.2477829'},
    {"source": "BillingSystem", "log_message": "Multiple login failures occurred on user 6454 "
                                               "account"},
    {"source": "LegacyCRM", "log_message": "Lead conversion failed for prospect ID 7842 due to "
                                           "missing contact information."},
]


class LogRecord(BaseModel):
    source: str = Field(default="", max_length=256, description="System that wrote the line.")
    log_message: str | None = Field(default=None, description="The raw log line.")
    level: str | int | None = Field(
        default=None, validation_alias=AliasChoices("level", "severity"),
        description="The level the line states, if known (`level` or `severity`: INFO, warn, "
                    "E, crit, an OTLP severity number 1-24, ...): evidence for models "
                    "trained with it; a value that is no level is ignored.")

    @field_validator("level", mode="before")
    @classmethod
    def _short_level(cls, value: object) -> object:
        if isinstance(value, str) and len(value) > 64:
            raise ValueError("a level is a word or a number (at most 64 characters)")
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"logs": EXAMPLE_LOGS}]})

    logs: list[LogRecord] = Field(description="Lines to classify, answered in the same order.")
    threshold: float | None = Field(
        default=None, ge=0.0, le=1.0,
        description="Abstain below this confidence (default: the model's calibrated threshold).")
    _warnings: list[str] = PrivateAttr(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """What reading the body changed (lone surrogates replaced), for the answer."""
        return self._warnings


class PredictionPublic(BaseModel):
    source: str
    log_message: str
    label: str = Field(description="Predicted label, or 'Unclassified' when abstaining.")
    confidence: float
    tier: str = Field(description="rules | model | llm | none")
    model_version: str
    reason: str | None = Field(default=None, description="Why the row is Unclassified.")
    stage: str | None = Field(default=None, description="Model tier only: fast (static "
                              "stage 1 was sure) | full (MiniLM).")
    template: str | None = Field(default=None, description="The line's template key: lines "
                                 "of one pattern share it (GET /v1/logs/patterns).")


class Summary(BaseModel):
    total: int
    classified: int
    rows_in: int = Field(default=0, description="Rows received; always classified + abstained "
                                                "+ refused.")
    abstained: int = Field(default=0, description="Rows answered 'Unclassified'.")
    refused: int = Field(default=0, description="Rows not classified at all (named in warnings).")
    coverage: float = Field(description="Share of rows not Unclassified.")
    mean_confidence: float
    by_tier: dict[str, int]
    by_stage: dict[str, int] = Field(default={}, description="Model-tier rows per cascade "
                                                          "stage (fast | full).")
    by_label: dict[str, int]


class ClassifyResponse(BaseModel):
    model_version: str
    threshold: float
    predictions: list[PredictionPublic]
    summary: Summary
    warnings: list[str] = []
    prediction_ids: list[str] | None = Field(
        default=None, description="One id per prediction, in order, for POST /v1/feedback "
                                  "(JSON endpoint only; null if not recorded).")
    agreement: dict[str, Any] | None = Field(
        default=None, description="Uploaded files with a label column (LABEL_COLUMN): "
        "accuracy, macro_f1, coverage, confusion matrix and the rows that disagree.")
