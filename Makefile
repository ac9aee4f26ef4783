# taizhang — run `make help` for the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE ?= config.settings.dev

.PHONY: help install run serve test test-fast lint bench messages clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install taizhang with its development tools

run: install ## Migrate the SQLite database under var/, load the demo when empty, serve on PORT with a background worker
	$(PY) -m taizhang migrate --no-input -v 0
	$(PY) -m taizhang load_demo --if-empty
	@echo "taizhang: http://127.0.0.1:$(PORT)/  (demo password: Taizhang@2026)"
	@# The worker runs imports and large exports; it stops when the server stops.
	@$(PY) -m taizhang worker -v 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) -m taizhang runserver 127.0.0.1:$(PORT)

serve: install ## Production settings under gunicorn (deploy/gunicorn.conf.py); needs the env of docs/deploy.md
	DJANGO_SETTINGS_MODULE=config.settings.prod $(PY) -m taizhang collectstatic --no-input -v 0
	DJANGO_SETTINGS_MODULE=config.settings.prod $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py

test: install ## Run the whole test suite, browser journeys included
	@bash scripts/ensure-chromium.sh
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest

test-fast: install ## Run the tests without the browser journeys
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest -m "not browser"

lint: install ## ruff, mypy (django-stubs) and a check for missing migrations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy taizhang config
	$(PY) -m taizhang makemigrations --check --dry-run

bench: install ## Benchmarks; JSON reports under var/bench/ (BENCH_ARGS="--scale 0.1", EXCEL_ARGS="--scale 0.1")
	$(PY) -m taizhang bench $(BENCH_ARGS)
	$(PY) -m taizhang bench_excel $(EXCEL_ARGS)

messages: install ## Extract UI strings into each module's zh_Hans catalogue and compile them
	$(PY) scripts/messages.py

clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) var
