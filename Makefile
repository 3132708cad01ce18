# sift: two commands matter - `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
API_PORT ?= 8000
API_HOST ?= 127.0.0.1
UI_PORT  ?= 8501
# pytest-xdist workers (`make test TEST_WORKERS=0` runs in one process)
TEST_WORKERS ?= 2
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install models run api ui test test-fast distill settings-table lint lock bench clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

install: $(STAMP)  ## create .venv and install pinned dependencies (idempotent)

# Lock files: requirements/runtime.txt (the image installs only this), dev.txt, ray.txt, bench.txt.
LOCKS := requirements/runtime.txt requirements/dev.txt requirements/ray.txt requirements/bench.txt

$(STAMP): $(LOCKS) pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check $(addprefix -r ,$(LOCKS))
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

models: install  ## make sure the default models exist in models/ (trains them if missing)
	$(VENV)/bin/sift ensure-default-models

run: models  ## start the API on :8000 (and the UI on :8501)
	$(VENV)/bin/sift serve --api-port $(API_PORT) --ui-port $(UI_PORT)

api: models  ## start the API only
	$(PY) -m uvicorn backend.api.main:create_app --factory --host $(API_HOST) --port $(API_PORT) --timeout-keep-alive 75 --no-proxy-headers --no-access-log

test: install  ## run the whole test suite (TEST_WORKERS processes in parallel)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope

test-fast: install  ## the suite without slow tests
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope -m "not slow"

DISTILL_VENV ?= .venv-distill
DISTILL_OUT  ?= data/generated/static-minilm-256

distill:  ## distil the cascade's static stage from MiniLM in its own venv (then train-logs --static-model)
	@test -x $(DISTILL_VENV)/bin/python || python3 -m venv $(DISTILL_VENV)
	$(DISTILL_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-distill.txt
	$(DISTILL_VENV)/bin/python training/logs/distill_static.py $(DISTILL_OUT) --pca-dims 256

settings-table: install  ## regenerate the table of every setting in docs/settings.md
	$(VENV)/bin/sift settings-table --write docs/settings.md

lint: install  ## import contract (layers) + ruff + mypy (backend, training, frontend) + deptry
	$(VENV)/bin/lint-imports
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m deptry .

lock:  ## re-pin the lock files from pyproject.toml at the venv's tested versions
	$(PY) requirements/lock.py

bench: models  ## run the benchmarks (one JSON line each)
	$(PY) bench/logs_throughput.py

clean:  ## remove caches (not the venv, not models)
	rm -rf .pytest_cache .ruff_cache .mypy_cache test-artifacts
