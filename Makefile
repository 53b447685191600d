# helpdesk-tui: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
DEMO_DB ?= .demo/helpdesk.db
DEMO_TICKETS ?= 5000
PYTEST_ARGS ?=

.PHONY: run test test-fast check lint format bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,pg,ml]'
	touch $(STAMP)

install: $(STAMP)

## Install everything, create a demo desk (once) and open the TUI on it.
run: $(STAMP)
	@mkdir -p $(dir $(DEMO_DB))
	@test -f $(DEMO_DB) || $(BIN)/helpdesk --db $(DEMO_DB) demo --tickets $(DEMO_TICKETS) --seed 1
	$(BIN)/helpdesk --db $(DEMO_DB)

## Install everything and run the whole test suite (what CI runs).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

## The quick loop: everything but the slow end-to-end tests.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## What CI checks: formatting, lint, types, tests.
check: lint test

## Benchmarks print figures (never asserted in tests).
bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
