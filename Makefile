# One list of verbs for people and CI alike. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
SYSTEM_PACKAGES := redis-server:redis-server
BROWSER_PACKAGES := chromium:chromium

.DEFAULT_GOAL := help
.PHONY: help setup system run test lint format bench bench-ingest bench-fanout bench-api clean

help:  ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# `make run` needs the product's dependencies only; tests, lint and benchmarks add
# the dev extras (Playwright, the CDK library, mypy, ...), which take as long again.
$(RUN_STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@echo "Installing pinned Python dependencies into $(VENV) ..."
	@$(PY) -m pip install --disable-pip-version-check -c constraints.txt -e . \
		> $(VENV)/install.log 2>&1 || { tail -40 $(VENV)/install.log; exit 1; }
	@touch $(RUN_STAMP)

$(DEV_STAMP): $(RUN_STAMP)
	@echo "Installing pinned development dependencies into $(VENV) ..."
	@$(PY) -m pip install --disable-pip-version-check -c constraints.txt -e '.[dev]' \
		> $(VENV)/install-dev.log 2>&1 || { tail -40 $(VENV)/install-dev.log; exit 1; }
	@touch $(DEV_STAMP)

system:
	@scripts/require-system-packages $(SYSTEM_PACKAGES)

setup: $(DEV_STAMP) system  ## create .venv with every pinned dependency and check system programs

run: $(RUN_STAMP) system  ## run the whole product locally on embedded defaults (Ctrl-C stops it)
	@$(PY) -m devstack

test: setup  ## run checks and the whole test suite
	@scripts/require-system-packages $(BROWSER_PACKAGES)
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

lint: setup  ## ruff (lint and format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: setup  ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: bench-ingest bench-fanout bench-api  ## every benchmark

bench-ingest: setup  ## ingest throughput, stage times and latency (docs/PERFORMANCE.md)
	$(PY) -m bench.ingest

bench-fanout: setup  ## websocket fan-out latency at 100/500/1000 clients
	$(PY) -m bench.fanout

bench-api: setup  ## /api/ladder/ and /api/spot-risk/ at 200 and 400 requests/s on one web process
	$(PY) -m bench.api_load

clean:  ## remove the virtualenv and local run state
	rm -rf $(VENV) .run staticfiles
