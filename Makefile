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
# The CDK CLI, pinned; npx fetches it from the npm registry on first use.
CDK_CLI_VERSION := 2.1149.0
CDK := npx --yes aws-cdk@$(CDK_CLI_VERSION)
# This machine's Node is 20, end-of-life for jsii: it still works; its banner
# would bury the output. Install Node 22+ and drop this.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# pytest-xdist workers for `make test`: the suite mostly waits (servers, browsers,
# subprocesses), so more workers than the 2 cores; docs/PERFORMANCE.md "Test loop".
TEST_WORKERS ?= 6

.DEFAULT_GOAL := help
.PHONY: help setup system run test lint lock format bench bench-ingest bench-fanout bench-api bench-pixel soak drills synth cost clean

help:  ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# The development lock (hashes checked): the product, the local stand-ins (moto
# and its Flask server) and the dev tools. The image installs requirements/prod.lock alone.
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

lint: setup  ## ruff, the import contracts, mypy, the Dockerfile, the CI workflow, cfn-lint on the templates
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@# the apps' rooms (DESIGN.md): contracts in pyproject.toml [tool.importlinter]
	$(VENV)/bin/lint-imports --no-logo
	$(VENV)/bin/mypy
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(PY) -m deploy.cdk.app
	@# W3005: CDK writes a DependsOn beside the Ref that implies it; harmless. W3010: the
	@# AZs are named in deploy/cdk/environments.py on purpose (synth looks nothing up).
	$(VENV)/bin/cfn-lint --ignore-checks W3005 W3010 -- deploy/cdk/cdk.out/frgm-*.template.json

lock:  ## re-resolve requirements/*.lock (with hashes) from pyproject.toml and constraints.txt
	@command -v uv >/dev/null || { echo "make lock needs uv: $(PY) -m pip install uv"; exit 1; }
	uv pip compile pyproject.toml -c constraints.txt --generate-hashes --universal \
		--python-version 3.11 --no-header --quiet -o $(PROD_LOCK)
	uv pip compile pyproject.toml --extra dev -c constraints.txt --generate-hashes --universal \
		--python-version 3.11 --no-header --quiet -o $(DEV_LOCK)

format: setup  ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: bench-ingest bench-fanout bench-api bench-pixel  ## every benchmark

bench-ingest: setup  ## ingest throughput, stage times and latency (docs/PERFORMANCE.md)
	$(PY) -m bench.ingest

bench-fanout: setup  ## websocket fan-out latency at 100/500/1000 clients
	$(PY) -m bench.fanout

drills: setup  ## fault drills against a real make run stack (docs/RELIABILITY.md)
	$(PY) -m bench.drills
	$(PY) -m bench.drill_scheduler_heartbeat

bench-api: setup  ## /api/ladder/ and /api/spot-risk/ at 200 and 400 requests/s on one web process
	$(PY) -m bench.api_load

bench-pixel: setup  ## file-to-pixel latency: PUT to frame per page, 1,000 clients, beside a 1 s poller
	$(PY) -m bench.pixel $(ARGS)

soak: setup  ## 30 minutes at 10x production with 200 clients: files, errors, memory slopes
	$(PY) -m bench.soak $(ARGS)

synth: $(STAMP)  ## both environments' CloudFormation templates into deploy/cdk/cdk.out (offline)
	@command -v node >/dev/null && command -v npx >/dev/null || { \
		echo "make synth needs Node.js (node and npx) for the CDK CLI: install Node 22 or newer"; \
		echo "(apt-get install nodejs npm), or synthesize without the CLI: $(PY) -m deploy.cdk.app"; \
		exit 1; }
	cd deploy/cdk && $(CDK) synth --quiet --no-notices --no-version-reporting
	@ls deploy/cdk/cdk.out/frgm-*.template.json

cost: $(STAMP)  ## the monthly AWS estimate per resource for dev and prod (docs/COST.md)
	$(PY) -m deploy.cdk.cost

clean:  ## remove the virtualenv and local run state
	rm -rf $(VENV) .run staticfiles
