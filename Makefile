# The two commands of the README's quick start:
#   make demo   create .venv, install migrationaudit, audit the built-in demo (no internet)
#   make test   create .venv, install migrationaudit with its test tools + Chromium, run the tests
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test setup setup-test browser lint readme clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

setup: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

setup-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

browser:
	bash scripts/install-system-deps.sh

demo: setup
	$(BIN)/migrationaudit demo

test: setup-test browser
	$(BIN)/python scripts/audit_deps.py
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup-test
	$(BIN)/ruff check migrationaudit spiders reports tests

readme: setup
	$(BIN)/python scripts/update_readme.py

clean:
	rm -rf $(VENV) build dist *.egg-info migration-report
