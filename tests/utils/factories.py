"""Factories for tests: settings without `.env`, and a tiny real log model.

The tiny model is trained for real (MiniLM embeddings of a few dozen labelled
lines -> scikit-learn LR) so router and registry tests need neither the
default model nor a long training run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from backend.core.config import PROJECT_ROOT, Settings
from backend.core.normalize import template_key
from backend.embedding.embedder import MINILM_NAME, Embedder
from backend.embedding.linear import LinearHead
from backend.logs.model import LogModel
from backend.registry.local import LocalModelStore
from backend.registry.manifest import Manifest
from tests.utils.auth import writer_settings

REPO_MODELS = PROJECT_ROOT / "models"
LOG_MODEL = "log-classifier"

TINY_EXAMPLES: list[tuple[str, str, str]] = [
    ("BillingSystem", "Payment service crashed with exit code 137", "Error"),
    ("BillingSystem", "Failed to write invoice 3321 to database: connection reset", "Error"),
    ("AnalyticsEngine", "Job 77 failed: could not open input file /data/in.csv", "Error"),
    ("ModernHR", "Email service failed to deliver message to 12 recipients", "Error"),
    ("ThirdPartyAPI", "Kernel panic: unable to mount root fs on node 4", "Critical Error"),
    ("ModernCRM", "RAID array degraded: disk 3 failed on storage node 2", "Critical Error"),
    ("AnalyticsEngine", "Primary database cluster down, all replicas unreachable",
     "Critical Error"),
    ("ComputeCloud", 'nova.osapi_compute.wsgi.server 10.1.1.1 "GET /v2/servers HTTP/1.1" '
                     "status: 200 len: 1893 time: 0.24", "HTTP Status"),
    ("ComputeCloud", 'nova.osapi_compute.wsgi.server 10.1.1.2 "POST /v2/servers HTTP/1.1" '
                     "status: 404 len: 211 time: 0.05", "HTTP Status"),
    ("ThirdPartyAPI", "GET /api/v1/orders returned HTTP 503 in 120 ms", "HTTP Status"),
    ("ComputeCloud", "Claim successful: memory 2048 MB, disk 20 GB, vcpus 2", "Resource Usage"),
    ("ComputeCloud", "Total usable vcpus: 16, total allocated vcpus: 12", "Resource Usage"),
    ("AnalyticsEngine", "CPU usage at 93% on worker 5 for 10 minutes", "Resource Usage"),
    ("BillingSystem", "Multiple login failures occurred on user 6454 account", "Security Alert"),
    ("ModernCRM", "Brute force attack suspected from IP 203.0.113.9", "Security Alert"),
    ("ModernHR", "Unauthorized access attempt to admin panel by user 88", "Security Alert"),
    ("LegacyCRM", "Lead conversion failed for prospect ID 7842 due to missing contact "
                  "information.", "Workflow Error"),
    ("LegacyCRM", "Case escalation for ticket 1180 failed: assigned agent inactive.",
     "Workflow Error"),
    ("LegacyCRM", "Invoice approval workflow halted at step 3 for order 5521.",
     "Workflow Error"),
    ("LegacyCRM", "The 'ReportGenerator' module will be retired in version 4.0; migrate to "
                  "'AdvancedAnalytics'.", "Deprecation Warning"),
    ("LegacyCRM", "API endpoint /v1/contacts is deprecated and will be removed next release.",
     "Deprecation Warning"),
    ("LegacyCRM", "Support for legacy export format CSV-1 ends on 2025-12-31.",
     "Deprecation Warning"),
]


def make_settings(models_root: Path = REPO_MODELS, **overrides: Any) -> Settings:
    """Settings that ignore any `.env` on disk: tests state what they depend on. The test
    writer key (tests.utils.auth) is configured unless WRITER_TOKENS is given."""
    values = {**writer_settings(), **overrides}
    return Settings(_env_file=None, MODELS_ROOT=models_root, **values)  # type: ignore[call-arg]


def build_tiny_model(embedder: Embedder, threshold: float = 0.3,
                     version: str = "unversioned") -> LogModel:
    """Train a real LR head on MiniLM vectors of `TINY_EXAMPLES` (seconds, not minutes)."""
    sources = [s for s, _, _ in TINY_EXAMPLES]
    labels = [lbl for _, _, lbl in TINY_EXAMPLES]
    vectors = embedder.embed([template_key(m) for _, m, _ in TINY_EXAMPLES])
    head_rows = [i for i, s in enumerate(sources) if s != "LegacyCRM"]
    lr = LogisticRegression(C=50.0, max_iter=2000, random_state=0)
    lr.fit(vectors[head_rows], [labels[i] for i in head_rows])
    head = LinearHead(lr.coef_, lr.intercept_, [str(c) for c in lr.classes_],
                      threshold=threshold)
    return LogModel(head, np.asarray(vectors, dtype=np.float32), labels, sources,
                    embedder=MINILM_NAME, version=version)


def publish_tiny(store: LocalModelStore, model: LogModel, name: str = LOG_MODEL,
                 **metrics: Any) -> Manifest:
    """Publish `model` as the next version of `name` in `store` (atomic, hashed)."""
    with store.staging(name) as staged:
        model.save_pretrained(staged)
        manifest = Manifest(name=name, kind="log-classifier", labels=model.labels,
                            metrics=dict(metrics))
        return store.publish(staged, manifest)
