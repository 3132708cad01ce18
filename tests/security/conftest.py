"""Security tests reuse the Hub double fixtures of tests/registry."""

from tests.registry.conftest import hub, published, source_store  # noqa: F401
from tests.retrain.conftest import log_models, log_registry_v1  # noqa: F401, E402
