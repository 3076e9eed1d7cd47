# dlquiz: the two commands a newcomer needs are `make serve` and `make test`.
# Each target creates the virtualenv and installs what it needs on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium

.PHONY: serve test lint typecheck pytest bench install install-dev web chromium wrk clean

# Packages are installed by uv: the same packages pip would pick, four to five times faster (a fresh
# CI machine installs everything, torch and anki included, on every run). uv reads no pip.conf, so the
# machine's local wheel folder (where torch's CPU build lies) is passed on from pip's configuration,
# and it trusts the system's certificates as pip does. Should uv fail, pip does the same install.
UV_VERSION := 0.13.9
FIND_LINKS = $(or $(PIP_FIND_LINKS),$(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null))
define install
	$(BIN)/uv pip install --quiet --python $(BIN)/python --system-certs \
		$(foreach folder,$(FIND_LINKS),--find-links $(folder)) -e "$(1)" \
	|| $(BIN)/python -m pip install --quiet -e "$(1)"
endef

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)

# Stamps record that the installed packages match pyproject.toml.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(call install,.)
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(call install,.[dev])
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
	# Two workers: the suite waits on servers and browsers as much as on CPU. Plain load balancing:
	# keeping the server-sharing modules on one worker each (--dist loadgroup) measured 400 s
	# against 348 s, the big groups finishing on one worker while the other idled.
	$(BIN)/python -m pytest -n 2

# The installs (packages, npm, chromium from apt) wait on disk and network more than on CPU: run side by side.
test:
	$(MAKE) -j3 install-dev web chromium
	$(MAKE) lint typecheck pytest

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
