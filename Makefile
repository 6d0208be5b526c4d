# Two commands for a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test test-mongo lint typecheck format install create-indexes bench clean

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,docker]'
	touch $@

install: $(INSTALLED)

run: $(INSTALLED)  ## serve the API on http://127.0.0.1:8000 (SQLite at data/storefront.db)
	$(BIN)/storefront serve

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(INSTALLED)  ## mypy --strict on the core (domain, application)
	$(BIN)/mypy

test: lint typecheck  ## the whole suite: lint, types, layer contracts, every storage leg that can run here
	$(BIN)/pytest

test-mongo: $(INSTALLED)  ## the real-wire MongoDB legs alone: MONGODB_URL, else testcontainers, else SecantusDB in-process
	$(BIN)/pytest -m mongo

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

create-indexes: $(INSTALLED)
	$(BIN)/storefront create-indexes

bench: $(INSTALLED)
	$(BIN)/python bench/http_users.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
