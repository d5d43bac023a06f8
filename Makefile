# telsim: `make run` and `make test` set everything up on a fresh machine.
# Mesa >= 3.4 needs Python >= 3.12; the machine's default python3 may be older, and a
# pyenv shim may hide installed versions, so look on PATH first, then in pyenv's versions.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SCENARIO ?= scenarios/china_3g_2009.yaml
STAMP := $(VENV)/.installed

.PHONY: install run test bench lint clean browser baseline

find-python = $(shell \
  for c in python3.13 python3.12 python3; do \
    p=$$(command -v $$c 2>/dev/null) && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
  done; \
  root=$$(pyenv root 2>/dev/null || echo $$HOME/.pyenv); \
  for p in $$(ls -d $$root/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
    $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
  done)

install: $(STAMP)

$(STAMP): pyproject.toml
	@py="$(find-python)"; \
	if [ -z "$$py" ]; then \
	  echo "error: telsim needs Python >= 3.12 (Mesa 3.5 requires it); none found on PATH or under pyenv's versions." >&2; \
	  echo "       Install one (e.g. 'pyenv install 3.12') and run make again." >&2; exit 2; \
	fi; \
	if [ ! -x $(PY) ]; then echo "creating $(VENV) with $$py"; $$py -m venv $(VENV) || exit 2; fi; \
	$(PY) -m pip install -q --upgrade pip && \
	$(PY) -m pip install -q -e ".[all,dev]" && touch $(STAMP)

run: install
	$(VENV)/bin/telsim run $(SCENARIO)

# The dashboard's browser test drives headless Chromium (Debian's package); CI runs as
# root on a fresh machine, so install it when it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "error: the dashboard's browser test needs Chromium; install it with your package manager" >&2; exit 2; \
	  elif [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  elif command -v sudo >/dev/null 2>&1; then \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "error: the dashboard's browser test needs Chromium: run 'apt-get install chromium' as root" >&2; exit 2; \
	  fi; }

test: install browser
	$(VENV)/bin/ruff check sim tests benchmarks
	$(VENV)/bin/ruff format --check sim tests benchmarks
	$(PY) -m pytest -q -n 2 --dist loadfile

bench: install
	$(PY) -m benchmarks

# Regenerate the regression baseline after an intended model change (commit it with the change).
baseline: install
	$(PY) tests/regression/baseline.py --write

lint: install
	$(VENV)/bin/ruff check sim tests benchmarks
	$(VENV)/bin/ruff format --check sim tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
