# The two commands of the README's quick start:
#   make demo   create .venv from requirements.lock, audit the built-in demo (no internet)
#   make test   .venv from requirements-test.lock (+ Chromium, nginx, Apache, Redis), run the tests
# Installs come from the locks (every version pinned, every file hashed), so a release of a
# dependency elsewhere cannot break a clean clone. `make lock` refreshes them; `make test-latest`
# runs the suite against the newest versions pyproject.toml allows (drift, seen by us first).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=
LATEST ?= .venv-latest
UV_COMPILE = $(BIN)/uv pip compile --universal --python-version 3.11 --generate-hashes --quiet \
	pyproject.toml requirements-build.in

.PHONY: demo test setup setup-test browser lint readme docs lock test-latest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The lock holds pip, setuptools and wheel too: the package is installed without build
# isolation and without dependency resolution, so nothing unpinned reaches the venv.
setup: $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .

setup-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-test.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .

browser:
	bash scripts/install-system-deps.sh

demo: setup
	$(BIN)/migrationaudit demo

test: setup-test browser
	$(BIN)/python scripts/audit_deps.py
	$(BIN)/ruff check migrationaudit spiders reports tests scripts bench
	$(BIN)/python scripts/typecheck.py
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup-test
	$(BIN)/ruff check migrationaudit spiders reports tests scripts bench
	$(BIN)/python scripts/typecheck.py

# The generated docs pages (docs/reference/cli.md, docs/rules.md) from the code; the name is
# kept from when they lived in the README. `make docs` then builds the site (offline) in site/.
readme: setup-test
	$(BIN)/python scripts/update_docs.py

docs: readme
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --extra test -o requirements-test.lock

test-latest: browser
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[test]'
	$(LATEST)/bin/python -m pip list --format=freeze > $(LATEST)/versions.txt
	$(LATEST)/bin/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(LATEST) build dist *.egg-info migration-report site
