# hiring: the two commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app hiring
BIND ?= 127.0.0.1:8000
WORKERS ?= 4

.PHONY: run test serve load screenshots install install-dev system-deps lint bank-summary clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

## make run: install, migrate the SQLite database in instance/, load demo data, serve on :5000
run: install
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(FLASK) run --host 127.0.0.1 --port 5000

## make test: install what the tests need (Debian packages too, as root) and run everything
test: install-dev system-deps
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2 --dist loadgroup

system-deps:
	@bash scripts/system-deps.sh

## make screenshots: run the browser journeys (Debian's chromium), then refresh docs/screenshots/
screenshots: install-dev system-deps
	rm -rf screenshots/docs
	$(PY) -m pytest tests/e2e -q
	$(PY) scripts/screenshots.py

## make serve: gunicorn with several workers in production mode (needs HIRING_SECRET_KEY)
## (no gunicorn access log: it would record client addresses and full URLs, search terms
## included; the app logs one line per request with its id, user id and duration instead)
serve: install
	@test -n "$$HIRING_SECRET_KEY" || { echo "make serve: set HIRING_SECRET_KEY (32+ random characters) first" >&2; exit 2; }
	HIRING_ENV=production $(FLASK) db upgrade
	HIRING_ENV=production $(VENV)/bin/gunicorn --workers $(WORKERS) --bind $(BIND) \
		--timeout 120 --preload wsgi:app

## make bank-summary: question counts per role, competency and domain pack (Markdown tables)
bank-summary: install
	$(FLASK) bank summary

## make load: the load and fault harness (SECURITY.md L1-L5, F1-F3) and throughput, on SQLite
## and on a throwaway PostgreSQL cluster; prints every figure (see README "Performance")
load: install system-deps
	$(PY) benchmarks/load.py --db both

lint: install-dev
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
