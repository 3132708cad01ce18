"""LLM calls are rate-limited across the whole job by one token bucket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from backend.bulk.worker import TokenBucket
from backend.core.config import get_settings
from tests.bulk.conftest import RunCli
from tests.utils.clock import FakeClock
from tests.utils.llm_doubles import Behaviour, OpenAIDouble, answer


def test_token_bucket_spreads_calls_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, burst=2, clock=clock)

    waits = [bucket.reserve() for _ in range(5)]

    assert waits == [0.0, 0.0, 0.5, 1.0, 1.5]  # burst of 2, then one call per 0.5 s
    clock.now += 10.0  # idle time refills up to the burst only
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.5]


class TimedDouble(OpenAIDouble):
    """The OpenAI double, noting when each request arrived."""

    def __init__(self) -> None:
        super().__init__(default=answer("Workflow Error", 0.9))
        self.arrivals: list[float] = []

    def _next(self) -> Behaviour:
        self.arrivals.append(time.monotonic())
        return super()._next()


@pytest.fixture
def remote_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[TimedDouble]:
    with TimedDouble() as double:
        monkeypatch.setenv("LLM_PROVIDER", "openai_compat")
        monkeypatch.setenv("OPENAI_BASE_URL", double.base_url)
        get_settings.cache_clear()
        yield double
    get_settings.cache_clear()


def test_llm_calls_wait_for_the_job_wide_rate(run_cli: RunCli, tmp_path: Path,
                                              remote_llm: TimedDouble) -> None:
    messages = [f"Workflow step {name} halted for order 55" for name in
                ("approve", "ship", "bill", "close", "audit", "notify", "archive", "merge")]
    source = tmp_path / "in.csv"
    pd.DataFrame({"source": "LegacyCRM", "log_message": messages * 3}).to_csv(source,
                                                                            index=False)

    result = run_cli(source, tmp_path / "out.csv", "--llm-rate", "4", "--chunk-size", "100")

    assert result.exit_code == 0, result.stdout
    assert len(remote_llm.requests) == 8  # one call per template; repeats come from cache
    arrivals = remote_llm.arrivals
    assert arrivals[7] - arrivals[0] >= (8 - 4) / 4 - 0.05  # burst of 4, then 4 calls/s
    summary = json.loads(result.stdout.split("summary: ", 1)[1])
    assert summary["by_label"] == {"Workflow Error": 24}
