"""Service settings: one place, read from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.core.setting_groups import (
    AuthSettings,
    DriftSettings,
    EmbedderSettings,
    HubSettings,
    JobSettings,
    LimitSettings,
    LLMSettings,
    LogSettings,
    MemorySettings,
    OTLPSettings,
    PatternSettings,
    RegistrySettings,
    RetrainSettings,
    ServiceSettings,
    SessionSettings,
    StoreSettings,
    TaskSettings,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIN_TOKEN_CHARS = 16  # a shorter bearer token is guessable; refused at start-up
DEFAULT_ENCODER_CACHE = PROJECT_ROOT / ".cache" / "encoders"  # ONNX export of the encoder
# where log shippers (Vector, Fluent Bit, journald, syslog) put the message and the source
SHIPPED_MESSAGE = ("message", "log", "log_message", "msg", "MESSAGE", "body")
SHIPPED_SOURCE = ("source", "service", "kubernetes.container_name", "container_name", "appname",
                  "ident", "SYSLOG_IDENTIFIER", "host", "hostname", "_HOSTNAME")


class Settings(BaseSettings):
    """Every knob of the service. Names are UPPER_CASE environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=True,
        env_ignore_empty=True, hide_input_in_errors=True,  # a refused token is not echoed
    )

    # --- general ---
    LOG_LEVEL: str = Field(
        default="INFO", description="Log level of the service: DEBUG, INFO, WARNING or ERROR.")
    API_TOKEN: SecretStr | None = Field(
        default=None, description="Admin bearer token: activate, retrain, approve labels "
        f"(unset: those endpoints are closed; at least {MIN_TOKEN_CHARS} characters).")
    WRITER_TOKENS: dict[str, SecretStr] = Field(
        default={}, description="Per-client writer keys for POST /v1/feedback, a JSON object "
        '{"client-name": "token"}; each correction records the client name.')
    WRITER_SOURCES: dict[str, list[str]] = Field(
        default={}, description="Sources on which a writer's corrections change every "
        'client\'s answers, a JSON object {"client-name": ["source", ...]}; otherwise they '
        "change only that writer's own requests. \"*\" (every source) is the admin's only.")
    FORWARDED_ALLOW_IPS: str = Field(
        default="", description="Comma-separated proxy addresses whose X-Forwarded-For is "
        "trusted (empty: none; the peer address is the client).")

    # --- registry ---
    MODELS_ROOT: Path = Field(
        default=PROJECT_ROOT / "models", description="Root of the local model registry.")
    LOG_MODEL_NAME: str = Field(
        default="log-classifier", description="Registry name of the log classifier to serve.")
    LOG_MODEL_VERSION: str = Field(default="latest", description="'latest' or a tag such as v2.")

    # --- Hugging Face Hub remote registry (unset HF_NAMESPACE: local registry only) ---
    HF_NAMESPACE: str | None = Field(
        default=None, description="Hub user or organisation that owns the model repos.")
    HF_TOKEN: SecretStr | None = Field(
        default=None, description="Hub access token (a write token to publish).")
    HF_ENDPOINT: str = Field(
        default="https://huggingface.co", description="Base URL of the Hub (or a mirror).")
    HF_REPO_PREFIX: str = Field(
        default="sift-", description="Repo id = <namespace>/<prefix><name>.")
    HF_PRIVATE: bool = Field(default=True, description="Create new model repos as private.")
    HF_PINNED_COMMITS: dict[str, str] = Field(
        default={}, description='Commits versions must come from, a JSON object such as '
        '{"log-classifier@v2": "<40-hex sha>"}; a tag pointing elsewhere is refused.')
    HF_CACHE_DIR: Path | None = Field(
        default=None, description="Download cache (unset: the huggingface_hub default).")
    HF_TIMEOUT_S: float = Field(
        default=20.0, gt=0,
        description="Per-operation Hub timeout in s; a silent Hub is unreachable.")
    HF_MAX_RETRIES: int = Field(
        default=2, ge=0, le=10, description="Retries of a Hub API call answered 429/503, after "
        "its Retry-After (one longer than HF_TIMEOUT_S is not waited for).")

    # --- log classification ---
    RULES_PATH: Path = Field(
        default=PROJECT_ROOT / "configs" / "rules.yaml",
        description="Ordered YAML list of regex rules (first tier; list order = precedence).")
    RULES_ENABLED: bool = Field(default=True, description="Use the regex rules tier.")
    LABEL_COLUMN: str = Field(
        default="target_label", description="Column of an uploaded log file holding the "
        "team's own labels: the answer adds sift's agreement with it (accuracy, macro-F1, "
        "confusion, disagreements).")
    RULES_DISABLED: dict[str, list[str]] = Field(
        default={}, description='Rules turned off per scope, a JSON object {"<source>": '
        '["rule-name"], "*": [...]} (e.g. rules a retrain reports as contradicted by '
        "corrections).")
    MODEL_ENABLED: bool = Field(default=True, description="Use the trained model tier.")
    LLM_ENABLED: bool = Field(default=True, description="Use the LLM tier.")
    CONFIDENCE_THRESHOLD: float | None = Field(
        default=None, ge=0.0, le=1.0,
        description="Abstain below this; unset uses the threshold chosen at training time.",
    )
    CASCADE_ENABLED: bool = Field(
        default=True, description="Model tier as a cascade: the fast static stage answers new "
        "template keys it is sure of, MiniLM the rest (models from v3; off: MiniLM for all).")
    CASCADE_THRESHOLD: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Stage-1 confidence at which the fast stage "
        "answers; unset uses the model's (chosen on held-out templates by train-logs).")
    LLM_SOURCES: list[str] = Field(
        default=["LegacyCRM"], description="Sources routed straight to the LLM tier (a JSON list).")
    LLM_FOR_LOW_CONFIDENCE: bool = Field(
        default=False, description="Also send the model tier's low-confidence rows to the LLM.")
    BATCH_SIZE: int = Field(default=64, ge=1, le=4096, description="Encoder batch size (texts).")
    EMBED_CACHE_SIZE: int = Field(
        default=200_000, ge=0, description="Embeddings kept in the in-process LRU (0: no cache).")
    MAX_MESSAGE_CHARS: int = Field(
        default=4096, ge=64, description="Characters of a log_message that are classified; the "
        "rest is ignored.")
    MAX_UPLOAD_MB: float = Field(
        default=50.0, gt=0, description="Largest request body or upload, in MB (above: 413).")
    MAX_ROWS_PER_REQUEST: int = Field(
        default=1_000_000, ge=1, description="Most logs or events in one request (above: 413).")
    MAX_COLUMNS: int = Field(
        default=5_000, ge=2, description="Most columns in an uploaded table (above: 413).")
    SHIPPED_MESSAGE_FIELDS: str = Field(
        default=",".join(SHIPPED_MESSAGE), description="NDJSON / JSON-array records on POST "
        "/v1/logs/classify: fields tried in order for the message (dotted names reach into "
        "objects); `message_field` in the query overrides.")
    SHIPPED_SOURCE_FIELDS: str = Field(
        default=",".join(SHIPPED_SOURCE), description="Fields tried in order for the source "
        "of a shipped record (else `source` in the query, else empty); `source_field` in the "
        "query overrides.")

    # --- reliability and security (see docs/reliability.md) ---
    REQUIRE_TOKEN_FOR_READS: bool = Field(
        default=False, description="Also require API_TOKEN on read/classify endpoints "
                                   "(all but /health, /ready and the docs).")
    RATE_LIMIT: str = Field(
        default="600/minute", description="Per-client request limit such as '600/minute' or "
                                          "'20/second;600/minute'; 'off' disables it.")
    RATE_LIMIT_STORAGE: str = Field(
        default="memory://", description="Where counters live: memory:// (one process) or "
                                         "redis://host:6379 (shared by every worker).")
    REQUEST_TIMEOUT_S: float = Field(
        default=300.0, gt=0,
        description="Seconds after which a request with no response gets a 504.")
    BODY_IDLE_TIMEOUT_S: float = Field(
        default=15.0, gt=0,
        description="Seconds an unfinished upload may send nothing before a 408.")
    MAX_MESSAGE_CHARS_HARD: int = Field(
        default=65_536, ge=64, description="A log_message longer than this is refused with "
                                           "422 (longer than MAX_MESSAGE_CHARS: truncated).")
    LOG_FORMAT: Literal["json", "text"] = Field(
        default="json", description="json (one object per log line, with request ids) or text.")
    METRICS_ENABLED: bool = Field(default=True, description="Serve GET /metrics (Prometheus).")
    LLM_COST_PER_CALL_USD: float = Field(
        default=0.0, ge=0, description="Estimated cost of one remote LLM call, for /metrics.")

    # --- live pipelines: OTLP in/out, label rates, drift ---
    OTLP_SOURCE_ATTRIBUTE: str = Field(
        default="service.name", description="Resource attribute of an OTLP log record that "
        "names its source (else the record's own attribute of that name).")
    OTLP_MAX_IN_FLIGHT: int = Field(
        default=4, ge=1, description="OTLP export requests classified at once; more get 503 "
        "with Retry-After (exporters retry).")
    OTLP_FORWARD_ENDPOINT: str | None = Field(
        default=None, description="OTLP/HTTP logs URL (e.g. http://collector:4318/v1/logs) "
        "that receives every record with sift.* attributes; unset: no forwarding.")
    OTLP_FORWARD_HEADERS: dict[str, SecretStr] = Field(
        default={}, description="Headers sent with forwarded batches, a JSON object (e.g. an "
        "Authorization header).")
    OTLP_FORWARD_TIMEOUT_S: float = Field(
        default=10.0, gt=0, description="Time a batch may take to reach the downstream "
        "receiver, retries included, before the sender gets 503 and sends it again.")
    OTLP_FORWARD_MAX_RETRIES: int = Field(
        default=5, ge=0, le=20, description="Retries of a forwarded batch (backoff, honours "
        "Retry-After).")
    OTLP_FORWARD_MAX_IN_FLIGHT: int = Field(
        default=8, ge=1, description="Batches being forwarded at once (bounds memory); more "
        "get 503 with Retry-After.")
    OTLP_RECORD_SAMPLE: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Share of OTLP records whose predictions are "
        "stored for feedback (0: none, 1: all; chosen by a stable hash of each line, within "
        "RECORD_QUOTA). `sift classify-file --record-sample` does the same for bulk jobs.")
    METRICS_MAX_SOURCES: int = Field(
        default=50, ge=1, description="Distinct sources named in label-rate counters and "
        "drift; later sources are counted as 'other'.")
    DRIFT_ENABLED: bool = Field(default=True, description="Track drift (GET /v1/drift).")
    DRIFT_WINDOW_S: float = Field(
        default=3600.0, ge=60, description="Sliding window of the drift statistics, in s.")
    DRIFT_MAX_NEW_TEMPLATE_SHARE: float = Field(
        default=0.6, ge=0, le=1, description="A source drifts above this share of lines "
        "whose template is not in its own baseline (BASELINE_RECORDS).")
    DRIFT_MAX_LABEL_PSI: float = Field(
        default=0.25, ge=0, description="A source drifts above this population stability "
        "index of its label mix against its own baseline's.")
    DRIFT_MIN_MEAN_CONFIDENCE: float = Field(
        default=0.6, ge=0, le=1, description="A source drifts below this mean confidence.")
    DRIFT_RETRAIN_AFTER_S: float | None = Field(
        default=None, gt=0, description="Start the gated retrain of the log model once a "
        "source has drifted this long (and corrections exist); unset: never.")
    DRIFT_MIN_RECORDS: int = Field(
        default=50, ge=1, description="Records a source needs in the window before it can be "
        "called drifting.")
    BASELINE_RECORDS: int = Field(
        default=2000, ge=1, description="A source's first this many live lines are its "
        "baseline: drift and new patterns are judged against it (pin another one through "
        "PUT /v1/logs/baselines/{source}).")
    PATTERNS_ENABLED: bool = Field(
        default=True, description="Count live lines per source and template key in the "
        "feedback store (GET /v1/logs/patterns; needs METRICS_ENABLED).")
    PATTERNS_MAX_PER_SOURCE: int = Field(
        default=500, ge=1, le=100_000, description="Templates kept per source; its other "
        "lines are counted together as '<other>'.")
    PATTERNS_BUCKET_S: int = Field(
        default=3600, ge=60, description="Time bucket of the pattern counts over time, in s.")
    PATTERNS_RETENTION_S: float = Field(
        default=7 * 86400.0, ge=3600, description="Pattern counts older than this are "
        "dropped, in s.")
    PATTERNS_FLUSH_S: float = Field(
        default=5.0, ge=0, description="How often a worker adds its pattern counts to the "
        "store, in s (0: after every batch).")

    # --- embedder ---
    EMBEDDER: Literal["minilm", "gemini"] = Field(
        default="minilm", description="minilm (offline all-MiniLM-L6-v2) or gemini (remote, needs "
        "GEMINI_API_KEY).")
    EMBED_RUNTIME: Literal["onnx", "torch"] = Field(
        default="onnx", description="Run MiniLM through onnxruntime (exported once from the "
        "installed weights; about 3x faster for one line) or torch.")
    EMBED_QUANTIZED: bool = Field(
        default=True, description="With EMBED_RUNTIME=onnx, run MiniLM's int8 copy (built "
        "once beside the export by onnxruntime's dynamic quantization, per-channel weights; "
        "about 2x the keys/s, same log model answers on Loghub's keys) instead of fp32.")
    BLAS_THREADS: int = Field(
        default=1, ge=0, description="Threads of numpy's and scipy's BLAS in a server process "
        "(0: the library's default, one per core). OpenBLAS's idle threads spin for a while "
        "after every product, so a product per request kept a core busy doing nothing: one "
        "thread halved a new line's CPU; requests and the encoder's own threads are the "
        "parallelism.")
    ENCODER_CACHE_DIR: Path = Field(
        default=DEFAULT_ENCODER_CACHE,
        description="Where the ONNX export of the encoder is kept.")
    GEMINI_EMBED_MODEL: str = Field(
        default="gemini-embedding-001", description="Embedding model when EMBEDDER=gemini.")

    # --- LLM tier ---
    LLM_PROVIDER: Literal["offline", "gemini", "openai_compat"] = Field(
        default="offline", description="offline (nearest labelled examples, no network), gemini, "
        "or openai_compat (Ollama, vLLM, OpenAI, ...).")
    LLM_MIN_CONFIDENCE: float = Field(
        default=0.5, ge=0.0, le=1.0, description="An LLM answer below this confidence abstains.")
    LLM_TIMEOUT_S: float = Field(
        default=20.0, gt=0, description="Timeout of one LLM (or Gemini embedding) call, in s.")
    LLM_MAX_RETRIES: int = Field(
        default=3, ge=0, le=10, description="Retries of a failed LLM call (backoff, honours "
        "Retry-After).")
    LLM_CALL_BUDGET: int = Field(default=50, ge=0, description="Max LLM calls per request.")
    LLM_QUOTA_PER_CLIENT: str = Field(
        default="200/minute;2000/day", description="Remote LLM calls one client may cause "
        "('off' disables); over it the rows abstain and the request gets 429.")
    LLM_QUOTA_GLOBAL: str = Field(
        default="1000/minute;20000/day", description="Remote LLM calls of the whole service "
        "(counters in RATE_LIMIT_STORAGE, shared through Redis when configured).")
    LLM_CACHE_SIZE: int = Field(
        default=10_000, ge=0, description="LLM answers kept per (source, template) in an LRU.")
    GEMINI_API_KEY: SecretStr | None = Field(
        default=None, description="Key for the gemini LLM provider and embedder.")
    GEMINI_MODEL: str = Field(
        default="gemini-2.5-flash", description="Model when LLM_PROVIDER=gemini.")
    GEMINI_BASE_URL: str | None = Field(default=None, description="Override, e.g. a proxy.")
    OPENAI_BASE_URL: str = Field(
        default="http://127.0.0.1:11434/v1",
        description="OpenAI-compatible API when LLM_PROVIDER=openai_compat (default: Ollama).")
    OPENAI_API_KEY: SecretStr | None = Field(
        default=None, description="Key for the OpenAI-compatible API (unset: none sent).")
    OPENAI_MODEL: str = Field(
        default="llama3.1", description="Model when LLM_PROVIDER=openai_compat.")

    # --- task categorisation, feedback and retraining (see docs/tasks-feedback.md) ---
    TASK_MODEL_NAME: str = Field(
        default="task-categorizer", description="Registry name of the task categoriser to serve.")
    TASK_MODEL_VERSION: str = Field(default="latest", description="'latest' or a tag (A side).")
    STEP_MODEL_NAME: str = Field(
        default="step-tagger", description="Step model answering session requests that name "
        "none; every registered step model (manifest kind step-tagger) is served by name.")
    STEP_MODEL_VERSION: str = Field(
        default="latest", description="'latest' or a tag for STEP_MODEL_NAME (other step "
        "models serve their latest).")
    TASK_AUTO_SELECT_THRESHOLD: float | None = Field(
        default=None, ge=0.0, le=1.0,
        description="Auto-select the category at this confidence; below: suggest. Unset: "
        "the served model's own threshold (v2: chosen for 0.95 precision on held-out "
        "authors; v1: 0.7).")
    TASK_TOP_K: int = Field(default=3, ge=1, le=50, description="Suggestions per task.")
    TASK_MAX_TITLE_CHARS: int = Field(
        default=500, ge=10, description="Longest task title accepted (above: 422).")
    TASK_MAX_DESCRIPTION_CHARS: int = Field(
        default=10_000, ge=100, description="Longest task description accepted (above: 413).")
    TASK_MAX_BATCH: int = Field(default=1000, ge=1, description="Tasks per batch request.")
    TASK_TRAIN_ROWS: int = Field(
        default=3000, ge=100, description="Generated base rows a retrain adds corrections to.")
    TASK_AB_VERSION: str | None = Field(
        default=None, description="B side of an A/B test, e.g. v2 (unset: no A/B).")
    TASK_AB_SPLIT: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Share of client keys served by the B side.")
    DATABASE_URL: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'data' / 'feedback.db'}",
        description="Feedback store: a SQLite file or postgresql+psycopg://user:pw@host/db.")
    REDIS_URL: str | None = Field(
        default=None, description="Prediction cache in Redis (unset: in-process LRU).")
    PREDICTION_CACHE_SIZE: int = Field(
        default=10_000, ge=0, description="Task predictions kept in the in-process LRU.")
    FEEDBACK_MAX_INPUT_CHARS: int = Field(
        default=20_000, ge=100, description="Largest feedback `input` (as JSON); above: 413.")
    STORE_TEXT_CHARS: int = Field(
        default=1000, ge=64, description="Characters of each text field kept with a stored "
        "prediction or correction (what retraining needs); the rest is not stored.")
    PREDICTION_RETENTION_DAYS: float = Field(
        default=30.0, ge=0, description="Stored predictions older than this are deleted "
        "(0: kept forever); ones with feedback are kept with it.")
    FEEDBACK_RETENTION_DAYS: float = Field(
        default=365.0, ge=0, description="Feedback older than this is deleted (0: kept forever).")
    WRITE_QUOTA: str = Field(
        default="60/minute;2000/day", description="Feedback writes per client ('off' disables); "
        "over it: 429 with Retry-After.")
    RECORD_QUOTA: str = Field(
        default="20000/hour;200000/day", description="Predictions one client may have stored "
        "per window; above it they are answered but not stored (prediction_id null).")
    JOB_RETENTION_S: float = Field(
        default=3600.0, ge=60, description="A file job (POST /v1/logs/jobs, "
        "/v1/sessions/jobs) and its result are kept this long after it ends, in s.")
    JOB_MAX_PER_CLIENT: int = Field(
        default=2, ge=1, description="File jobs one client may have queued or running; "
        "above it: 429.")
    JOB_QUOTA: str = Field(
        default="200000/hour;2000000/day", description="Rows of file jobs one client may run "
        "per window ('off' disables); above it the job fails with 429.")
    JOB_CHUNK_ROWS: int = Field(
        default=2000, ge=100, description="Rows per chunk of a file job (its progress steps).")
    SCREENSHOTS_DIR: Path | None = Field(
        default=None, description="The only folder image paths in step requests may point into "
        "(unset: image paths are refused).")
    RETRAIN_TOLERANCE: float = Field(
        default=0.01, ge=0.0, le=1.0,
        description="Promote a candidate unless its held-out accuracy is lower by more.")
    FEEDBACK_MEMORY: bool = Field(
        default=True, description="Serve a log correction at once for every line of its "
        "template key (tier `feedback`), before the other tiers.")
    FEEDBACK_MEMORY_SCOPE: Literal["source", "global"] = Field(
        default="source", description="A correction applies to its own source only "
        "(`source`: no source can change another's answers) or to every source (`global`).")
    FEEDBACK_MEMORY_REFRESH_S: float = Field(
        default=2.0, ge=0.0, le=300.0, description="Seconds a worker trusts its copy of the "
        "memory before checking the store (how soon other workers see a correction).")
    FEEDBACK_NEIGHBOURS: bool = Field(
        default=True, description="Lines whose key is very close to a correction's follow it "
        "when the model is unsure (similarity chosen on held-out corrections).")
    FEEDBACK_ADAPTER: bool = Field(
        default=True, description="Corrections reach uncorrected sibling templates of the "
        "same scope through a convention adapter (the head refitted on that scope's "
        "corrections), only on evidence: docs/adaptation.md.")

    @field_validator("API_TOKEN")
    @classmethod
    def _long_admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_TOKEN_CHARS:
            raise ValueError(f"API_TOKEN must have at least {MIN_TOKEN_CHARS} characters")
        return value

    @field_validator("WRITER_TOKENS")
    @classmethod
    def _long_writer_tokens(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, token in value.items():
            if len(token.get_secret_value()) < MIN_TOKEN_CHARS:
                raise ValueError(f"WRITER_TOKENS[{name!r}] must have at least "
                                 f"{MIN_TOKEN_CHARS} characters")
        return value

    @field_validator("WRITER_SOURCES")
    @classmethod
    def _no_global_writer(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, sources in value.items():
            if any(source.strip() == "*" for source in sources):
                raise ValueError(
                    f"WRITER_SOURCES[{name!r}] contains '*': a writer may be granted named "
                    "sources only; corrections for every source are the admin API_TOKEN's "
                    "(docs/security.md, the writer model)")
        return value

    @property
    def max_upload_bytes(self) -> int:
        return int(self.MAX_UPLOAD_MB * 1024 * 1024)

    # --- the same settings in nested groups (backend.core.setting_groups) ---
    @property
    def service(self) -> ServiceSettings:
        return ServiceSettings.of(self)

    @property
    def auth(self) -> AuthSettings:
        return AuthSettings.of(self)

    @property
    def registry(self) -> RegistrySettings:
        return RegistrySettings.of(self)

    @property
    def hub(self) -> HubSettings:
        return HubSettings.of(self)

    @property
    def limits(self) -> LimitSettings:
        return LimitSettings.of(self)

    @property
    def logs(self) -> LogSettings:
        return LogSettings.of(self)

    @property
    def embedder(self) -> EmbedderSettings:
        return EmbedderSettings.of(self)

    @property
    def llm(self) -> LLMSettings:
        return LLMSettings.of(self)

    @property
    def otlp(self) -> OTLPSettings:
        return OTLPSettings.of(self)

    @property
    def drift(self) -> DriftSettings:
        return DriftSettings.of(self)

    @property
    def patterns(self) -> PatternSettings:
        return PatternSettings.of(self)

    @property
    def tasks(self) -> TaskSettings:
        return TaskSettings.of(self)

    @property
    def sessions(self) -> SessionSettings:
        return SessionSettings.of(self)

    @property
    def store(self) -> StoreSettings:
        return StoreSettings.of(self)

    @property
    def memory(self) -> MemorySettings:
        return MemorySettings.of(self)

    @property
    def jobs(self) -> JobSettings:
        return JobSettings.of(self)

    @property
    def retrain(self) -> RetrainSettings:
        return RetrainSettings.of(self)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own `Settings`)."""
    return Settings()
