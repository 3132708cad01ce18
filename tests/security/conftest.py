"""Security tests reuse the Hub double fixtures of tests/registry."""

from tests.registry.conftest import hub, published, source_store  # noqa: F401
