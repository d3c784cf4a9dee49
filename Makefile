# One list of verbs for people and CI alike. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROD_LOCK := requirements/prod.lock
DEV_LOCK := requirements/dev.lock
SYSTEM_PACKAGES := redis-server:redis-server
BROWSER_PACKAGES := chromium:chromium
# pytest-xdist workers for `make test`: the suite mostly waits (servers, browsers,
# subprocesses), so more workers than the 2 cores; docs/PERFORMANCE.md "Test loop".
TEST_WORKERS ?= 6

.DEFAULT_GOAL := help
.PHONY: help setup system run test lint lock format bench bench-ingest bench-fanout clean

help:  ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# The development lock (hashes checked): the product, the local stand-ins (moto,
# honcho) and the dev tools. The image installs requirements/prod.lock alone.
$(STAMP): $(DEV_LOCK) pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the locked Python dependencies ($(DEV_LOCK)) into $(VENV) ..."
	@$(PY) -m pip install --disable-pip-version-check --require-hashes --no-deps -r $(DEV_LOCK) \
		> $(VENV)/install.log 2>&1 || { tail -40 $(VENV)/install.log; exit 1; }
	@$(PY) -m pip install --disable-pip-version-check --no-deps -e . \
		>> $(VENV)/install.log 2>&1 || { tail -40 $(VENV)/install.log; exit 1; }
	@touch $(STAMP)

system:
	@scripts/require-system-packages $(SYSTEM_PACKAGES)

setup: $(STAMP) system  ## create .venv with every pinned dependency and check system programs

run: $(STAMP) system  ## run the whole product locally on embedded defaults (Ctrl-C stops it)
	@$(PY) -m devstack

test: setup  ## run checks and the whole test suite
	@scripts/require-system-packages $(BROWSER_PACKAGES)
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope --durations=10

lint: setup  ## ruff (lint and format check), mypy, the Dockerfile and the CI workflow
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

lock:  ## re-resolve requirements/*.lock (with hashes) from pyproject.toml and constraints.txt
	@command -v uv >/dev/null || { echo "make lock needs uv: $(PY) -m pip install uv"; exit 1; }
	uv pip compile pyproject.toml -c constraints.txt --generate-hashes --universal \
		--python-version 3.11 --no-header --quiet -o $(PROD_LOCK)
	uv pip compile pyproject.toml --extra dev -c constraints.txt --generate-hashes --universal \
		--python-version 3.11 --no-header --quiet -o $(DEV_LOCK)

format: setup  ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: bench-ingest bench-fanout  ## every benchmark

bench-ingest: setup  ## ingest throughput, stage times and latency (docs/PERFORMANCE.md)
	$(PY) -m bench.ingest

bench-fanout: setup  ## websocket fan-out latency at 100/500/1000 clients
	$(PY) -m bench.fanout

clean:  ## remove the virtualenv and local run state
	rm -rf $(VENV) .run staticfiles
