# The two commands of the README: `make run` and `make test`. Everything else happens inside them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --disable-pip-version-check -q
MANAGE := $(BIN)/python manage.py

.PHONY: run test lint format bench venv clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.base-installed: $(BIN)/python requirements/base.txt
	$(PIP) -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.base-installed requirements/dev.txt
	$(PIP) -r requirements/dev.txt
	touch $@

venv: $(VENV)/.dev-installed

run: $(VENV)/.base-installed
	$(MANAGE) migrate --noinput
	$(MANAGE) setupproviders
	$(MANAGE) collectstatic --noinput --verbosity 0
	@echo
	@echo "  AI-Ticker is starting (Ctrl-C stops the web server and the loop):"
	@echo "    page     http://127.0.0.1:8000/        kiosk/overlay view: http://127.0.0.1:8000/embed/"
	@echo "    admin    http://127.0.0.1:8000/admin/  create a login with: .venv/bin/python manage.py createsuperuser"
	@echo "    API      http://127.0.0.1:8000/api/ticker/  docs: http://127.0.0.1:8000/api/docs/"
	@echo
	$(BIN)/honcho --procfile Procfile start

test: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks (README, "Benchmarks"): each script prints a table and one JSON line. wrk comes from Debian when it
# can be installed; otherwise the API benchmark falls back to its Python load generator.
BENCHMARKS := tick_overhead api_throughput failover health_checks memory scaling

bench: $(VENV)/.dev-installed
	@command -v wrk >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || \
	  { SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo -n); $$SUDO apt-get install -y -q wrk >/dev/null 2>&1 || \
	    { $$SUDO apt-get update -q >/dev/null 2>&1 && $$SUDO apt-get install -y -q wrk >/dev/null 2>&1; }; } || true
	@command -v wrk >/dev/null 2>&1 || echo "wrk is not installed: the API benchmark uses its Python load generator"
	@set -e; for name in $(BENCHMARKS); do echo; echo "== $(BIN)/python -m benchmarks.$$name"; \
	  $(BIN)/python -m benchmarks.$$name; done

clean:
	rm -rf $(VENV) var/static .pytest_cache .ruff_cache
