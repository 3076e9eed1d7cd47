# dlquiz: the two commands a newcomer needs are `make serve` and `make test`.
# Each target creates the virtualenv and installs what it needs on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium

.PHONY: serve test lint typecheck pytest bench install install-dev web chromium wrk clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps record that the installed packages match pyproject.toml.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The web app's libraries (chart.js) and the browser tests' axe-core come from npm, exactly as
# package-lock.json pins them; the stamp lives inside node_modules, so deleting it reinstalls too.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

web: node_modules/.installed

# The browser tests drive Debian's chromium; CI machines start without it.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
chromium:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium; }

serve: install web
	$(BIN)/dlquiz serve

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev web chromium
	$(BIN)/python -m pytest -n 2  # two workers: the suite waits on servers and browsers as much as on CPU

test: chromium web lint typecheck pytest

# bench/api.py loads the server with wrk: a Python client saturates before the server does.
wrk:
	@command -v wrk >/dev/null || { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y wrk; }

bench: install-dev web chromium wrk
	$(BIN)/python bench/verifier.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/study.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/interop.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache data node_modules test-artifacts
