# Guanxi CRM. Two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= development.ini
STAMP := $(VENV)/.installed

.PHONY: run test install lint format i18n-extract i18n-update clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python setup.cfg pyproject.toml tests/example_plugin/setup.cfg
	$(BIN)/python -m pip install --quiet -e '.[test]' -e tests/example_plugin
	touch $(STAMP)

install: $(STAMP)

## make run: install, migrate, create the admin + demo data on first run, serve on :6543
run: $(STAMP)
	$(BIN)/guanxi -c $(CONFIG) migrate
	$(BIN)/guanxi -c $(CONFIG) demo --first-run
	$(BIN)/guanxi -c $(CONFIG) serve --host 127.0.0.1 --port 6543

## make test: the whole suite (SQLite, then PostgreSQL when it can be started; browser tests)
test: $(STAMP)
	$(BIN)/python tests/run_suite.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Translations: extract every domain's strings and update the three catalogues.
i18n-update: $(STAMP)
	$(BIN)/python -m core.i18n_tools update

clean:
	rm -rf $(VENV) build *.egg-info
