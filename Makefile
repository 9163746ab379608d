# Everything runs in ./.venv, created on first use from pyproject.toml.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test quick check lint types unit unit-quick research bench clean

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## demo: synthesise a city in ./safer77-demo/ (its own warehouse and site), print its
## statistics, build the site (marked synthetic) and serve it
demo: $(VENV)/.installed
	$(BIN)/safer77 demo

## test: lint, types and the whole test suite (what CI runs)
test: lint types unit

## quick: lint, types and the tests not marked slow (about 2.5 minutes of CPU time)
quick: lint types unit-quick

check: test

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(VENV)/.installed
	$(BIN)/mypy

unit: $(VENV)/.installed
	$(BIN)/python -m pytest

unit-quick: $(VENV)/.installed
	$(BIN)/python -m pytest -m "not slow"

## research: the research code's types and tests (research/districting: exact pricing);
## not part of `make test` or CI
research: $(VENV)/.installed
	MYPYPATH=src $(BIN)/mypy research/districting/pricing.py
	$(BIN)/python -m pytest research/districting

## bench: the ingest benchmark (8M rows; minutes; not part of the tests)
bench: $(VENV)/.installed
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) safer77-demo
