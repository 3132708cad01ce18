"""The settings in nested groups: `settings.patterns.flush_s` reads PATTERNS_FLUSH_S.

Every setting is still one flat, UPPER_CASE field of `Settings` (backend.core.config):
that is where its environment name, `.env` entry, default, bounds and description live,
and the environment names do not change. Each group here is a typed, read-only view of
some of those fields, built from them on access (`Settings.<group>`); a field's alias is
its environment name. Every flat field belongs to exactly one group (a test), and
docs/settings.md names each setting's group field. Code moves from the flat names to the
groups one module at a time (backend.api.stream reads `patterns` and `drift`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class SettingGroup(BaseModel):
    """A read-only view of some flat settings, each field aliased by its environment name."""

    model_config = ConfigDict(frozen=True, protected_namespaces=())

    @classmethod
    def of(cls, settings: Any) -> Self:
        """The group's values as `settings` (a Settings) holds them, validated already."""
        return cls.model_construct(**{name: getattr(settings, field.alias or name)
                                      for name, field in cls.model_fields.items()})


class ServiceSettings(SettingGroup):
    """How the service runs: its own log, request timeouts, rate limits and /metrics."""

    log_level: str = Field(alias="LOG_LEVEL")
    log_format: Literal["json", "text"] = Field(alias="LOG_FORMAT")
    request_timeout_s: float = Field(alias="REQUEST_TIMEOUT_S")
    body_idle_timeout_s: float = Field(alias="BODY_IDLE_TIMEOUT_S")
    rate_limit: str = Field(alias="RATE_LIMIT")
    rate_limit_storage: str = Field(alias="RATE_LIMIT_STORAGE")
    metrics_enabled: bool = Field(alias="METRICS_ENABLED")
    metrics_max_sources: int = Field(alias="METRICS_MAX_SOURCES")


class AuthSettings(SettingGroup):
    """Who may do what: the admin token, writers, and trusted proxies."""

    api_token: SecretStr | None = Field(alias="API_TOKEN")
    writer_tokens: dict[str, SecretStr] = Field(alias="WRITER_TOKENS")
    writer_sources: dict[str, list[str]] = Field(alias="WRITER_SOURCES")
    require_token_for_reads: bool = Field(alias="REQUIRE_TOKEN_FOR_READS")
    forwarded_allow_ips: str = Field(alias="FORWARDED_ALLOW_IPS")


class RegistrySettings(SettingGroup):
    """Where models come from and which versions are served."""

    models_root: Path = Field(alias="MODELS_ROOT")
    log_model_name: str = Field(alias="LOG_MODEL_NAME")
    log_model_version: str = Field(alias="LOG_MODEL_VERSION")
    task_model_name: str = Field(alias="TASK_MODEL_NAME")
    task_model_version: str = Field(alias="TASK_MODEL_VERSION")
    step_model_name: str = Field(alias="STEP_MODEL_NAME")
    step_model_version: str = Field(alias="STEP_MODEL_VERSION")


class HubSettings(SettingGroup):
    """The Hugging Face Hub remote registry (unset namespace: local registry only)."""

    namespace: str | None = Field(alias="HF_NAMESPACE")
    token: SecretStr | None = Field(alias="HF_TOKEN")
    endpoint: str = Field(alias="HF_ENDPOINT")
    repo_prefix: str = Field(alias="HF_REPO_PREFIX")
    private: bool = Field(alias="HF_PRIVATE")
    pinned_commits: dict[str, str] = Field(alias="HF_PINNED_COMMITS")
    cache_dir: Path | None = Field(alias="HF_CACHE_DIR")
    timeout_s: float = Field(alias="HF_TIMEOUT_S")
    max_retries: int = Field(alias="HF_MAX_RETRIES")


class LimitSettings(SettingGroup):
    """What one request may send."""

    max_upload_mb: float = Field(alias="MAX_UPLOAD_MB")
    max_rows_per_request: int = Field(alias="MAX_ROWS_PER_REQUEST")
    max_columns: int = Field(alias="MAX_COLUMNS")
    max_message_chars_hard: int = Field(alias="MAX_MESSAGE_CHARS_HARD")


class LogSettings(SettingGroup):
    """Log classification: the tiers, thresholds and the fields read from a log."""

    rules_path: Path = Field(alias="RULES_PATH")
    rules_enabled: bool = Field(alias="RULES_ENABLED")
    rules_disabled: dict[str, list[str]] = Field(alias="RULES_DISABLED")
    model_enabled: bool = Field(alias="MODEL_ENABLED")
    llm_enabled: bool = Field(alias="LLM_ENABLED")
    confidence_threshold: float | None = Field(alias="CONFIDENCE_THRESHOLD")
    cascade_enabled: bool = Field(alias="CASCADE_ENABLED")
    cascade_threshold: float | None = Field(alias="CASCADE_THRESHOLD")
    llm_sources: list[str] = Field(alias="LLM_SOURCES")
    llm_for_low_confidence: bool = Field(alias="LLM_FOR_LOW_CONFIDENCE")
    max_message_chars: int = Field(alias="MAX_MESSAGE_CHARS")
    label_column: str = Field(alias="LABEL_COLUMN")
    shipped_message_fields: str = Field(alias="SHIPPED_MESSAGE_FIELDS")
    shipped_source_fields: str = Field(alias="SHIPPED_SOURCE_FIELDS")


class EmbedderSettings(SettingGroup):
    """The sentence encoder and its caches."""

    kind: Literal["minilm", "gemini"] = Field(alias="EMBEDDER")
    runtime: Literal["onnx", "torch"] = Field(alias="EMBED_RUNTIME")
    quantized: bool = Field(alias="EMBED_QUANTIZED")
    blas_threads: int = Field(alias="BLAS_THREADS")
    encoder_cache_dir: Path = Field(alias="ENCODER_CACHE_DIR")
    gemini_model: str = Field(alias="GEMINI_EMBED_MODEL")
    batch_size: int = Field(alias="BATCH_SIZE")
    cache_size: int = Field(alias="EMBED_CACHE_SIZE")


class LLMSettings(SettingGroup):
    """The LLM tier: provider, budgets, quotas and the providers' connections."""

    provider: Literal["offline", "gemini", "openai_compat"] = Field(alias="LLM_PROVIDER")
    min_confidence: float = Field(alias="LLM_MIN_CONFIDENCE")
    timeout_s: float = Field(alias="LLM_TIMEOUT_S")
    max_retries: int = Field(alias="LLM_MAX_RETRIES")
    call_budget: int = Field(alias="LLM_CALL_BUDGET")
    quota_per_client: str = Field(alias="LLM_QUOTA_PER_CLIENT")
    quota_global: str = Field(alias="LLM_QUOTA_GLOBAL")
    cache_size: int = Field(alias="LLM_CACHE_SIZE")
    cost_per_call_usd: float = Field(alias="LLM_COST_PER_CALL_USD")
    gemini_api_key: SecretStr | None = Field(alias="GEMINI_API_KEY")
    gemini_model: str = Field(alias="GEMINI_MODEL")
    gemini_base_url: str | None = Field(alias="GEMINI_BASE_URL")
    openai_base_url: str = Field(alias="OPENAI_BASE_URL")
    openai_api_key: SecretStr | None = Field(alias="OPENAI_API_KEY")
    openai_model: str = Field(alias="OPENAI_MODEL")


class OTLPSettings(SettingGroup):
    """OTLP in and out."""

    source_attribute: str = Field(alias="OTLP_SOURCE_ATTRIBUTE")
    max_in_flight: int = Field(alias="OTLP_MAX_IN_FLIGHT")
    forward_endpoint: str | None = Field(alias="OTLP_FORWARD_ENDPOINT")
    forward_headers: dict[str, SecretStr] = Field(alias="OTLP_FORWARD_HEADERS")
    forward_timeout_s: float = Field(alias="OTLP_FORWARD_TIMEOUT_S")
    forward_max_retries: int = Field(alias="OTLP_FORWARD_MAX_RETRIES")
    forward_max_in_flight: int = Field(alias="OTLP_FORWARD_MAX_IN_FLIGHT")
    record_sample: float = Field(alias="OTLP_RECORD_SAMPLE")


class DriftSettings(SettingGroup):
    """Drift of each live source against its own baseline."""

    enabled: bool = Field(alias="DRIFT_ENABLED")
    window_s: float = Field(alias="DRIFT_WINDOW_S")
    max_new_template_share: float = Field(alias="DRIFT_MAX_NEW_TEMPLATE_SHARE")
    max_label_psi: float = Field(alias="DRIFT_MAX_LABEL_PSI")
    min_mean_confidence: float = Field(alias="DRIFT_MIN_MEAN_CONFIDENCE")
    min_records: int = Field(alias="DRIFT_MIN_RECORDS")


class PatternSettings(SettingGroup):
    """Pattern counts of the live stream, and each source's baseline (drift reads it too)."""

    enabled: bool = Field(alias="PATTERNS_ENABLED")
    max_per_source: int = Field(alias="PATTERNS_MAX_PER_SOURCE")
    bucket_s: int = Field(alias="PATTERNS_BUCKET_S")
    retention_s: float = Field(alias="PATTERNS_RETENTION_S")
    flush_s: float = Field(alias="PATTERNS_FLUSH_S")
    baseline_records: int = Field(alias="BASELINE_RECORDS")  # the store keeps baselines


class TaskSettings(SettingGroup):
    """Task categorisation."""

    auto_select_threshold: float | None = Field(alias="TASK_AUTO_SELECT_THRESHOLD")
    top_k: int = Field(alias="TASK_TOP_K")
    max_title_chars: int = Field(alias="TASK_MAX_TITLE_CHARS")
    max_description_chars: int = Field(alias="TASK_MAX_DESCRIPTION_CHARS")
    max_batch: int = Field(alias="TASK_MAX_BATCH")
    ab_version: str | None = Field(alias="TASK_AB_VERSION")
    ab_split: float = Field(alias="TASK_AB_SPLIT")
    prediction_cache_size: int = Field(alias="PREDICTION_CACHE_SIZE")
    redis_url: str | None = Field(alias="REDIS_URL")


class SessionSettings(SettingGroup):
    """Event sessions and the step tagger."""

    screenshots_dir: Path | None = Field(alias="SCREENSHOTS_DIR")


class StoreSettings(SettingGroup):
    """The feedback store: where, what is kept and for how long, write quotas."""

    database_url: str = Field(alias="DATABASE_URL")
    text_chars: int = Field(alias="STORE_TEXT_CHARS")
    feedback_max_input_chars: int = Field(alias="FEEDBACK_MAX_INPUT_CHARS")
    prediction_retention_days: float = Field(alias="PREDICTION_RETENTION_DAYS")
    feedback_retention_days: float = Field(alias="FEEDBACK_RETENTION_DAYS")
    write_quota: str = Field(alias="WRITE_QUOTA")
    record_quota: str = Field(alias="RECORD_QUOTA")


class MemorySettings(SettingGroup):
    """The feedback memory: corrections served at once, neighbours, the convention adapter."""

    enabled: bool = Field(alias="FEEDBACK_MEMORY")
    scope: Literal["source", "global"] = Field(alias="FEEDBACK_MEMORY_SCOPE")
    refresh_s: float = Field(alias="FEEDBACK_MEMORY_REFRESH_S")
    neighbours: bool = Field(alias="FEEDBACK_NEIGHBOURS")
    adapter: bool = Field(alias="FEEDBACK_ADAPTER")


class JobSettings(SettingGroup):
    """Whole-file jobs."""

    retention_s: float = Field(alias="JOB_RETENTION_S")
    max_per_client: int = Field(alias="JOB_MAX_PER_CLIENT")
    quota: str = Field(alias="JOB_QUOTA")
    chunk_rows: int = Field(alias="JOB_CHUNK_ROWS")


class RetrainSettings(SettingGroup):
    """Gated retraining."""

    tolerance: float = Field(alias="RETRAIN_TOLERANCE")
    after_drift_s: float | None = Field(alias="DRIFT_RETRAIN_AFTER_S")
    task_train_rows: int = Field(alias="TASK_TRAIN_ROWS")


# group attribute of Settings -> its view
GROUPS: dict[str, type[SettingGroup]] = {
    "service": ServiceSettings,
    "auth": AuthSettings,
    "registry": RegistrySettings,
    "hub": HubSettings,
    "limits": LimitSettings,
    "logs": LogSettings,
    "embedder": EmbedderSettings,
    "llm": LLMSettings,
    "otlp": OTLPSettings,
    "drift": DriftSettings,
    "patterns": PatternSettings,
    "tasks": TaskSettings,
    "sessions": SessionSettings,
    "store": StoreSettings,
    "memory": MemorySettings,
    "jobs": JobSettings,
    "retrain": RetrainSettings,
}
