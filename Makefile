# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench faults clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/summitbot run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# pytest exits 5 when it collected no tests; that fails the build like any other error.
test: lint
	$(BIN)/pytest

# The fault suite at full size; each test prints its figure.
faults: $(VENV)/.installed-dev
	SUMMITBOT_FULL_FAULTS=1 $(BIN)/pytest -q -n 0 tests/test_faults.py

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench $(if $(BIG),--big)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
