"""The step tagger's one configuration schema (configs/steps.yaml), shared by training and serving.

Validated at load so a typo or an out-of-range value is reported with the
field path and what is allowed, instead of failing deep inside training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ColumnsConfig(_Strict):
    """Which input columns play which role; any event log fits by renaming here."""

    session: str = "session_id"
    timestamp: str = "timestamp"
    event: str = "event_name"
    label: str = "step_name"
    categorical: list[str] = ["action_type", "target_app", "file_extension"]
    numeric: list[str] = ["file_path_depth", "is_sharepoint", "event_name_length"]
    text: list[str] = ["window_title"]
    image: str | None = None

    @model_validator(mode="after")
    def _distinct(self) -> ColumnsConfig:
        names = self.required + self.features + [self.label]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"a column may play one role only; repeated: {', '.join(dupes)}")
        return self

    @property
    def required(self) -> list[str]:
        return [self.session, self.timestamp, self.event]

    @property
    def features(self) -> list[str]:
        image = [self.image] if self.image else []
        return [*self.categorical, *self.numeric, *self.text, *image]


class FeaturesConfig(_Strict):
    time_delta: bool = True
    missing_indicators: bool = Field(
        default=True, description="a 0/1 'missing' input per numeric and text column, so a "
        "blank is information rather than the mean (models before this flag: false)")
    min_count: int = Field(default=2, ge=1)
    unknown_rate: float = Field(default=0.02, ge=0.0, le=0.5)
    event_emb_dim: int = Field(default=32, ge=2, le=512)
    cat_emb_dim: int = Field(default=8, ge=2, le=128)
    text_dim: int = Field(default=16, ge=1, le=384)
    image_encoder: Literal["tiny", "resnet50"] = "tiny"
    image_weights: Path | None = None
    image_dim: int = Field(default=8, ge=1, le=256)


class ModelConfig(_Strict):
    type: Literal["bilstm", "transformer"] = "bilstm"
    fusion: Literal["concat", "gated"] = "gated"
    lstm_hidden: int = Field(default=96, ge=4, le=1024)
    lstm_layers: int = Field(default=2, ge=1, le=6)
    d_model: int = Field(default=128, ge=8, le=1024)
    n_heads: int = Field(default=4, ge=1, le=16)
    n_layers: int = Field(default=2, ge=1, le=8)
    ff_dim: int = Field(default=256, ge=8, le=4096)
    dropout: float = Field(default=0.1, ge=0.0, lt=1.0)
    max_len: int = Field(default=512, ge=8, le=8192)

    @model_validator(mode="after")
    def _heads_divide(self) -> ModelConfig:
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads "
                             f"({self.n_heads})")
        return self


class TrainingConfig(_Strict):
    lr: float = Field(default=1e-3, gt=0, le=1.0)
    weight_decay: float = Field(default=0.01, ge=0.0, le=1.0)
    epochs: int = Field(default=25, ge=1, le=1000)
    patience: int = Field(default=4, ge=1)
    grad_clip: float = Field(default=1.0, gt=0)
    batch_size: int = Field(default=32, ge=1, le=4096)
    ignore_index: int = -100
    val_fraction: float = Field(default=0.15, gt=0, lt=0.5)
    class_weight: Literal["none", "sqrt", "balanced"] = Field(
        default="none", description="loss weight per step: none, 1/sqrt(frequency) or "
        "1/frequency (rare steps count more; helps macro-F1 on real logs)")
    test_fraction: float = Field(default=0.15, gt=0, lt=0.5)


class EvaluationConfig(_Strict):
    threshold: float = Field(default=0.95, ge=0.0, le=1.0,
                             description="abstain below this when target_precision is null")
    target_precision: float | None = Field(
        default=0.95, gt=0.0, le=1.0, description="temperature-scale on validation sessions "
        "and choose the lowest threshold whose answered events reach this precision there")
    top_confusions: int = Field(default=10, ge=1)


class HPOConfig(_Strict):
    trials: int = Field(default=20, ge=1)
    epochs: int = Field(default=8, ge=1)
    timeout_s: float | None = Field(default=None, gt=0)


class StepsConfig(_Strict):
    """Everything that defines a step-tagger run; stored with each model version."""

    seed: int = 42
    columns: ColumnsConfig = ColumnsConfig()
    features: FeaturesConfig = FeaturesConfig()
    model: ModelConfig = ModelConfig()
    training: TrainingConfig = TrainingConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    hpo: HPOConfig = HPOConfig()


class ConfigError(ValueError):
    """The YAML does not match the schema; the message lists every offending field."""


def parse_config(data: dict[str, Any], source: str = "config") -> StepsConfig:
    try:
        return StepsConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"  {where}: {err['msg']}")
        raise ConfigError(f"{source} is not a valid step-tagger config:\n" + "\n".join(lines)
                          ) from None


def load_config(path: Path) -> StepsConfig:
    """Read and validate a YAML config; raise `ConfigError` naming each bad field."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping at the top level, got {type(data).__name__}")
    return parse_config(data, str(path))


def dump_config(config: StepsConfig, path: Path) -> None:
    path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False),
                    encoding="utf-8")
