# hookline developer tasks. Needs nothing but python3: the virtualenv is made on first use
# and re-installed only when pyproject.toml is newer than its stamp.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=
BENCH_ARGS ?=

# `make run` is for local development: it lets hookline deliver to receivers on this machine
# (HOOKLINE_ALLOWED_TARGET_NETWORKS) and uses a bootstrap admin key generated once into
# .hookline/admin.key. Whatever is already set in the environment wins. Only `run` sees these.
DEV_DATABASE_URL := sqlite:///./hookline.db
DEV_ALLOWED_TARGET_NETWORKS := 127.0.0.0/8,::1/128
ADMIN_KEY_FILE := .hookline/admin.key

.DEFAULT_GOAL := help
.PHONY: help run test fuzz lint format bench clean

help:
	@echo "make run    serve API, UI and worker on http://$(HOST):$(PORT) (SQLite, local targets allowed)"
	@echo "make test   run the test suite (pytest -n $(PYTEST_WORKERS))"
	@echo "make fuzz   schemathesis against the OpenAPI description, 300 cases per operation"
	@echo "make lint   ruff check, ruff format --check, mypy, import-linter (the layers)"
	@echo "make format ruff check --fix, ruff format"
	@echo "make bench  throughput, latency and claim plans on SQLite and PostgreSQL (BENCH_ARGS='--only scale')"
	@echo "make clean  remove the virtualenv and local state (.hookline/, hookline.db)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Two stamps: `run` needs only the service, the rest needs the test extras too.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	@touch $@ $(VENV)/.installed

# The benchmark also measures other HTTP servers against the one hookline ships with.
$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[bench]'
	@touch $@ $(VENV)/.installed

$(ADMIN_KEY_FILE): | $(BIN)/python
	@mkdir -p $(@D)
	@(umask 077 && $(BIN)/python -c 'import secrets; print("hl_dev_" + secrets.token_urlsafe(24))' > $@)

run: $(VENV)/.installed $(if $(HOOKLINE_ADMIN_KEY),,$(ADMIN_KEY_FILE))
	@export HOOKLINE_DATABASE_URL="$${HOOKLINE_DATABASE_URL:-$(DEV_DATABASE_URL)}" \
	    HOOKLINE_ALLOWED_TARGET_NETWORKS="$${HOOKLINE_ALLOWED_TARGET_NETWORKS-$(DEV_ALLOWED_TARGET_NETWORKS)}" \
	    HOOKLINE_ADMIN_KEY="$${HOOKLINE_ADMIN_KEY:-$$(cat $(ADMIN_KEY_FILE))}"; \
	echo "database:                $$HOOKLINE_DATABASE_URL"; \
	echo "allowed target networks: $${HOOKLINE_ALLOWED_TARGET_NETWORKS:-(none)}"; \
	if [ -f $(ADMIN_KEY_FILE) ] && [ "$$HOOKLINE_ADMIN_KEY" = "$$(cat $(ADMIN_KEY_FILE))" ]; then \
	    echo "admin key:               $$HOOKLINE_ADMIN_KEY  (from $(ADMIN_KEY_FILE))"; \
	else echo "admin key:               from HOOKLINE_ADMIN_KEY"; fi; \
	echo "API docs: http://$(HOST):$(PORT)/docs    UI: http://$(HOST):$(PORT)/ui"; \
	exec $(BIN)/hookline serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/pytest -n $(PYTEST_WORKERS) tests $(PYTEST_ARGS)

fuzz: $(VENV)/.installed-test
	HOOKLINE_FUZZ_EXAMPLES=$${HOOKLINE_FUZZ_EXAMPLES:-300} $(BIN)/pytest tests/fuzz $(PYTEST_ARGS)

# Every check runs, so one report shows every problem; any failure fails the target.
lint: $(VENV)/.installed-test
	@status=0; \
	for check in "ruff check ." "ruff format --check ." "mypy" "mypy --strict bench" "lint-imports --no-cache"; do \
	    echo "$(BIN)/$$check"; $(BIN)/$$check || status=1; \
	done; exit $$status

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .hookline hookline.db hookline.db-wal hookline.db-shm
