# The two commands a fresh machine needs (see README): `make demo` and `make test`.
# Both install what they need first; nothing here needs the internet beyond the package registries.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

# npm packages only the tests use (tests/package.json: puppeteer-core for Firefox, axe-core).
tests/node_modules/.installed: tests/package-lock.json
	cd tests && npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed
	./scripts/install-browser
	$(MAKE) --no-print-directory tests/node_modules/.installed

# Offline there are no ImageNet weights to download: on our machines and in CI the frozen
# MobileNetV2 inside a real Teachable Machine export (../shared/fixtures) serves as the base.
SHARED_BASE := $(wildcard ../shared/fixtures/tm-exports/animals-4class)

demo: setup
	TEACHKIT_BASE="$${TEACHKIT_BASE:-$(SHARED_BASE)}" $(BIN)/python build.py demo

test: setup
	TF_CPP_MIN_LOG_LEVEL=2 $(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: setup
	$(BIN)/python bench/run.py --quick

clean:
	rm -rf dist .pytest_cache
