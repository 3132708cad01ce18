"""Deployment files: compose validates, the image is multi-stage, non-root, CPU torch,
health-checked, and starts the same server as `make api`."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from backend.core.config import PROJECT_ROOT, Settings

DOCKERFILE = (PROJECT_ROOT / "Dockerfile").read_text()
COMPOSE = PROJECT_ROOT / "docker-compose.yml"


def _compose_cmd() -> list[str] | None:
    """`docker compose` (v2 plugin) when it works, else `docker-compose` (v1), else None."""
    if shutil.which("docker") and subprocess.run(
            ["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


@pytest.mark.parametrize("profiles", [[], ["redis"], ["postgres"], ["redis", "postgres"]])
def test_compose_config_succeeds(profiles: list[str]) -> None:
    cmd = _compose_cmd()
    if cmd is None:
        pytest.skip("no docker compose client on this machine")
    flags = [arg for p in profiles for arg in ("--profile", p)]
    proc = subprocess.run([*cmd, "-f", str(COMPOSE), *flags, "config", "--services"],
                          capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert {"api", "ui", *profiles} <= set(proc.stdout.split())  # v1 lists every service
    full = subprocess.run([*cmd, "-f", str(COMPOSE), *flags, "config", "-q"],
                          capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60)
    assert full.returncode == 0, full.stderr


def test_compose_passes_only_known_settings() -> None:
    spec = yaml.safe_load(COMPOSE.read_text())
    api = spec["services"]["api"]
    unknown = set(api["environment"]) - set(Settings.model_fields)
    assert not unknown, f"compose sets variables the service does not read: {unknown}"
    assert {"models", "model-cache"} <= set(spec["volumes"])
    assert spec["services"]["redis"]["profiles"] == ["redis"]
    assert spec["services"]["postgres"]["profiles"] == ["postgres"]


def test_dockerfile_is_multistage_nonroot_cpu_torch_with_healthcheck() -> None:
    assert len(re.findall(r"^FROM ", DOCKERFILE, re.M)) >= 2
    assert "COPY --from=builder" in DOCKERFILE
    user = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert user and not user[-1].startswith(("root", "0"))
    assert '"torch==2.13.0+cpu"' in DOCKERFILE and "/whl/cpu" in DOCKERFILE
    assert re.search(r"^HEALTHCHECK .*\n.*/health", DOCKERFILE, re.M)
    assert "VOLUME" in DOCKERFILE and "/app/models" in DOCKERFILE


def test_image_runs_the_same_app_as_make_api() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    make_api = re.search(r"-m uvicorn (\S+) --factory", makefile)
    cmd = re.search(r'"uvicorn", "(\S+)", "--factory"', DOCKERFILE)
    assert make_api and cmd and make_api[1] == cmd[1] == "backend.api.main:create_app"
