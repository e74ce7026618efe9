PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: help install run test lint typecheck bench clean messages

help: ## List the targets
	@grep -E '^[a-z]+:.*## ' Makefile | sed 's/:.*## /\t/'

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

install: $(VENV)/.installed ## Create .venv and install the pinned dependencies

run: install ## Serve with demo data on SQLite at http://127.0.0.1:8000
	$(BIN)/privacyops serve

test: install ## Lint, type-check, and run the suite on SQLite and PostgreSQL
	bash scripts/test.sh

lint: install ## ruff and mypy only
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install ## Run the benchmarks and write bench/REPORT.md
	bash scripts/bench.sh

LOCALE := src/privacyops/locale

messages: install ## Extract, update and compile the translation catalogues (locale/)
	$(BIN)/pybabel extract -F babel.cfg -k NP_:1c,2 --project=privacyops --no-wrap --sort-by-file \
		-o $(LOCALE)/messages.pot .
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) --no-wrap --ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel compile -d $(LOCALE) --statistics

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
