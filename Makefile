# One list of verbs for people and CI alike. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
SYSTEM_PACKAGES := redis-server:redis-server
BROWSER_PACKAGES := chromium:chromium
# The CDK CLI, pinned; npx fetches it from the npm registry on first use.
CDK_CLI_VERSION := 2.1149.0
CDK := npx --yes aws-cdk@$(CDK_CLI_VERSION)
# This machine's Node is 20, end-of-life for jsii: it still works; its banner
# would bury the output. Install Node 22+ and drop this.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.DEFAULT_GOAL := help
.PHONY: help setup system run test lint format bench bench-ingest bench-fanout synth cost clean

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

lint: setup  ## ruff (lint and format check), mypy, cfn-lint on the synthesized templates
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m deploy.cdk.app
	@# W3005: CDK writes a DependsOn beside the Ref that implies it; harmless. W3010: the
	@# AZs are named in deploy/cdk/environments.py on purpose (synth looks nothing up).
	$(VENV)/bin/cfn-lint --ignore-checks W3005 W3010 -- deploy/cdk/cdk.out/frgm-*.template.json

format: setup  ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: bench-ingest bench-fanout  ## every benchmark

bench-ingest: setup  ## ingest throughput, stage times and latency (docs/PERFORMANCE.md)
	$(PY) -m bench.ingest

bench-fanout: setup  ## websocket fan-out latency at 100/500/1000 clients
	$(PY) -m bench.fanout

synth: $(DEV_STAMP)  ## both environments' CloudFormation templates into deploy/cdk/cdk.out (offline)
	@command -v node >/dev/null && command -v npx >/dev/null || { \
		echo "make synth needs Node.js (node and npx) for the CDK CLI: install Node 22 or newer"; \
		echo "(apt-get install nodejs npm), or synthesize without the CLI: $(PY) -m deploy.cdk.app"; \
		exit 1; }
	cd deploy/cdk && $(CDK) synth --quiet --no-notices --no-version-reporting
	@ls deploy/cdk/cdk.out/frgm-*.template.json

cost: $(DEV_STAMP)  ## the monthly AWS estimate per resource for dev and prod (docs/COST.md)
	$(PY) -m deploy.cdk.cost

clean:  ## remove the virtualenv and local run state
	rm -rf $(VENV) .run staticfiles
