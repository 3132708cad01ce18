"""Builds the log classifier from settings and a model folder (API, CLI and bulk share it)."""

from __future__ import annotations

import logging
from pathlib import Path

from backend.core.config import Settings
from backend.core.errors import ModelIntegrityError
from backend.core.normalize import KEY_VERSION
from backend.core.quota import shared_quota
from backend.embedding.embedder import Embedder
from backend.embedding.service import build_embedder
from backend.logs.classifier import ClassifierOptions, LogClassifier
from backend.logs.llm.base import LLMProvider
from backend.logs.llm.gemini import GeminiProvider
from backend.logs.llm.nearest import NearestExampleProvider
from backend.logs.llm.openai_compat import OpenAICompatProvider
from backend.logs.llm.tier import LLMTier
from backend.logs.model import LogModel
from backend.logs.rules import RuleSet
from backend.registry.manifest import Manifest

logger = logging.getLogger(__name__)

# manifest param: the template-key version (KEY_VERSION) a log model was trained with
KEY_VERSION_PARAM = "template_key_version"


def key_version_note(folder: Path, version: str) -> str | None:
    """Why serving this version under today's template keys may answer worse, or None.

    A model learnt its keys under the masks of its KEY_VERSION; served under other masks,
    its new-key answers and its cascade hand-over move (v4, trained on key v1 and served
    with v2, sent 13.6% of all-distinct keys to MiniLM instead of 5.1%)."""
    try:
        trained = Manifest.read(folder).params.get(KEY_VERSION_PARAM)
    except ModelIntegrityError:
        return None  # an unpublished folder (tests, training): nothing recorded to compare
    if trained is None:
        return (f"log model {version} does not record the template-key version it was "
                f"trained with; it is served with key v{KEY_VERSION}")
    if int(trained) != KEY_VERSION:
        return (f"log model {version} was trained on template key v{trained} and is served "
                f"with key v{KEY_VERSION}: answers on new keys may differ from its report; "
                "retrain it (sift train-logs) to serve it at its measured quality")
    return None


KIND = "log-classifier"  # manifest kind of a log model


def build_provider(settings: Settings, model: LogModel, embedder: Embedder) -> LLMProvider:
    if settings.LLM_PROVIDER == "gemini":
        if settings.GEMINI_API_KEY is None:
            raise ValueError("LLM_PROVIDER=gemini needs GEMINI_API_KEY")
        return GeminiProvider(settings.GEMINI_API_KEY.get_secret_value(), settings.GEMINI_MODEL,
                              settings.GEMINI_BASE_URL, settings.LLM_TIMEOUT_S,
                              settings.LLM_MAX_RETRIES)
    if settings.LLM_PROVIDER == "openai_compat":
        key = settings.OPENAI_API_KEY.get_secret_value() if settings.OPENAI_API_KEY else None
        return OpenAICompatProvider(settings.OPENAI_BASE_URL, settings.OPENAI_MODEL, key,
                                    settings.LLM_TIMEOUT_S, settings.LLM_MAX_RETRIES)
    return nearest_example_provider(model, embedder, settings.CASCADE_ENABLED)


def nearest_example_provider(model: LogModel, embedder: Embedder, cascade: bool = True
                             ) -> NearestExampleProvider:
    """The default fallback tier, no LLM: the model's own labelled examples. With the cascade
    on and a model that has a fast stage, neighbours are found by the static vectors (a new
    key costs no MiniLM pass here either); otherwise by MiniLM, as before."""
    if cascade and model.fast is not None and model.example_static is not None:
        return NearestExampleProvider(
            model.fast.embedder, model.example_static, model.example_labels,
            model.example_sources, text_features=model.text_features, keys=model.example_keys)
    return NearestExampleProvider(
        embedder, model.example_vectors, model.example_labels, model.example_sources,
        text_features=model.text_features, keys=model.example_keys)


def build_classifier(settings: Settings, folder: Path, version: str,
                     embedder: Embedder | None = None) -> LogClassifier:
    """Load one model version from `folder` and wire the tiers around it."""
    model = LogModel.from_pretrained(folder, version)
    note = key_version_note(folder, version)
    if note:
        logger.warning(note)
    embedder = embedder or build_embedder(settings)
    if model.embedder != embedder.name:
        raise ValueError(f"model {version} was trained on {model.embedder} embeddings, "
                         f"but EMBEDDER gives {embedder.name}")
    rules = (RuleSet.from_yaml(settings.RULES_PATH).without(settings.RULES_DISABLED)
             if settings.RULES_ENABLED else None)
    llm = None
    if settings.LLM_ENABLED:
        provider = build_provider(settings, model, embedder)
        quota = shared_quota(settings.LLM_QUOTA_PER_CLIENT, settings.LLM_QUOTA_GLOBAL,
                             settings.RATE_LIMIT_STORAGE)
        llm = LLMTier(provider, model.labels, settings.LLM_CACHE_SIZE, settings.LLM_CALL_BUDGET,
                      settings.LLM_MIN_CONFIDENCE, quota)
    options = ClassifierOptions(
        rules_enabled=settings.RULES_ENABLED, model_enabled=settings.MODEL_ENABLED,
        llm_enabled=settings.LLM_ENABLED, llm_sources=frozenset(settings.LLM_SOURCES),
        llm_for_low_confidence=settings.LLM_FOR_LOW_CONFIDENCE,
        threshold=settings.CONFIDENCE_THRESHOLD, max_message_chars=settings.MAX_MESSAGE_CHARS,
        cascade_enabled=settings.CASCADE_ENABLED, cascade_threshold=settings.CASCADE_THRESHOLD,
        adapter_enabled=settings.FEEDBACK_ADAPTER)
    return LogClassifier(model, embedder, rules, llm, options)
