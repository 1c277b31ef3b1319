# The only entry point. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HAMBASTEGI_DATA_DIR ?= ./data
PORT ?= 8000
RUN_ENV = HAMBASTEGI_BASE_URL=http://127.0.0.1:$(PORT) HAMBASTEGI_ALLOW_PRIVATE_NETWORK=true

.PHONY: run setup test test-sqlite test-postgres test-large test-federation test-interop lint fmt check bench migrate migration clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)  ## install, migrate, seed the demo network, serve on http://127.0.0.1:$(PORT) (8000)
	$(RUN_ENV) $(BIN)/hambastegi migrate
	$(RUN_ENV) $(BIN)/hambastegi demo
	$(RUN_ENV) $(BIN)/hambastegi serve --host 127.0.0.1 --port $(PORT)

test: $(STAMP) lint  ## install and run every test, on SQLite and on PostgreSQL
	$(BIN)/python scripts/run_tests.py

test-sqlite: $(STAMP)
	$(BIN)/python -m pytest

test-postgres: $(STAMP)
	HAMBASTEGI_TEST_DATABASE=postgresql $(BIN)/python -m pytest -m "db and not large"

test-large: $(STAMP)  ## at the large demo's size (minutes): the mirror with every PDF, crawled
	$(BIN)/python -m pytest -s -m large tests/large

PEER := interop/fedify-peer

$(PEER)/node_modules/.installed: $(PEER)/package.json $(PEER)/package-lock.json
	cd $(PEER) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

MASTO := interop/masto-client

$(MASTO)/node_modules/.installed: $(MASTO)/package.json $(MASTO)/package-lock.json
	cd $(MASTO) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

test-interop: $(STAMP) $(PEER)/node_modules/.installed $(MASTO)/node_modules/.installed  ## our instance against Fedify (Node 22, from npm) and real-world payloads, on both engines
	$(BIN)/python scripts/run_tests.py --interop

test-federation: $(STAMP)
	$(BIN)/python -m pytest -m federation

lint: $(STAMP)  ## format, lint rules, layer contracts, types; and the coverage floor over the last test run
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	@if [ -f .coverage ]; then $(BIN)/coverage report --skip-covered --sort=cover | tail -n 25; \
	  $(BIN)/coverage report --format=total >/dev/null || { echo "coverage is below the floor (pyproject.toml)"; exit 1; }; \
	else echo "coverage: no data yet; make test measures it (the SQLite run) and holds it to the floor"; fi

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: test

FEDIFY_BENCH := bench/fedify

$(FEDIFY_BENCH)/node_modules/.installed: $(FEDIFY_BENCH)/package.json $(FEDIFY_BENCH)/package-lock.json
	cd $(FEDIFY_BENCH) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

bench: $(STAMP)  ## run every benchmark (about 12 minutes) and rewrite docs/benchmarks.md
	@command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null || echo "wrk is needed: apt-get install wrk"
	@$(MAKE) --no-print-directory $(FEDIFY_BENCH)/node_modules/.installed || echo "Fedify could not be installed: its comparison rows are left out"
	$(BIN)/python -m bench

migrate: $(STAMP)
	$(BIN)/hambastegi migrate

migration: $(STAMP)  ## make migration name="what changed"
	$(BIN)/python scripts/new_migration.py "$(name)"

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache

messages: $(STAMP)  ## extract the interface's strings and update every catalog
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 --no-location --sort-output \
	  -o locales/messages.pot content outbox web network mail api templates
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching
	$(BIN)/python scripts/fill_catalogs.py
