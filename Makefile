# Two commands on a fresh machine: `make run` starts the app, `make test` runs every test.
# Each creates the virtual environment and installs the packages when they are missing or pyproject.toml changed.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTHON ?= python3

CHROMIUM := /usr/bin/chromium

.PHONY: run test bench chromium docs

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/optiscape serve

# The browser tests drive Debian's Chromium (Playwright never downloads a browser of its own).
chromium:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: $(STAMP) chromium
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/engine.py
	$(PY) benchmarks/api.py

# The generated parts of docs/ (mathematics.md from the registries, api.md's limits); tests/test_docs.py fails while they are stale.
docs: $(STAMP)
	$(PY) -m app.contract.doc_blocks docs/mathematics.md docs/api.md
