# 职工服务门户 — the two commands a newcomer needs: `make run` and `make test`.
# Needs only Python 3.11 on the machine; everything else goes into .venv.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
HOST ?= 127.0.0.1
WORKERS ?= 2
TEST_WORKERS ?= auto
TRANSLATIONS := translations
CATALOGUE_ZH := $(TRANSLATIONS)/zh_Hans_CN/LC_MESSAGES/messages.po
CATALOGUE_EN := $(TRANSLATIONS)/en/LC_MESSAGES/messages.po

.PHONY: run test setup assets venv deps dev-deps compile-translations translations extract lint fmt migrate seed clean

run: setup ## Set up, migrate, load demo data, serve on http://127.0.0.1:5000
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@$(FLASK) demo-accounts
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl+C to stop); timed steps (公示 ends …) run every minute beside it"
	@$(FLASK) jobs loop --every 60 & jobs=$$!; \
	  trap 'kill $$jobs 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WORKERS) --threads 4 --access-logfile - wsgi:app

test: setup dev-deps ## Set up, then run the whole suite (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo ""; \
	  echo "################################################################"; \
	  echo "##  WARNING: /usr/bin/chromium is missing.                     ##"; \
	  echo "##  The browser tests (tests/browser) will be SKIPPED.         ##"; \
	  echo "##  Install it with: apt-get install -y chromium               ##"; \
	  echo "################################################################"; \
	  echo ""; \
	fi
	@echo "== Test suite on SQLite =="
	TEST_DATABASE_URL= $(BIN)/python -m pytest -n $(TEST_WORKERS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== Test suite on PostgreSQL ($$TEST_DATABASE_URL) =="; \
	  $(BIN)/python -m pytest -n $(TEST_WORKERS); \
	fi

setup: deps compile-translations assets

assets: deps ## Precompress the static files (.br, .gz) that WhiteNoise serves
	@$(FLASK) assets compress >/dev/null

venv: $(BIN)/python

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed (python3.11 or python3 on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

deps: $(VENV)/.deps-installed

$(VENV)/.deps-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

dev-deps: $(VENV)/.dev-deps-installed

$(VENV)/.dev-deps-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

compile-translations: deps ## Build the .mo files from the .po catalogues
	$(BIN)/pybabel compile -d $(TRANSLATIONS) --statistics

extract: deps ## Extract messages into translations/messages.pot
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --no-location --sort-output \
	  -o $(TRANSLATIONS)/messages.pot .

translations: extract ## Extract, then update both catalogues (translate the new entries in the zh_Hans_CN .po)
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching --ignore-obsolete
	@$(MAKE) --no-print-directory compile-translations

migrate: deps ## Apply database migrations
	$(FLASK) db upgrade

seed: migrate ## Load demo data (idempotent)
	$(FLASK) seed-demo

lint: dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: dev-deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find . -name '*.mo' -delete
