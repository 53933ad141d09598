# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest install demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo load
	@echo "Serving on http://127.0.0.1:$(PORT)  (Ctrl+C to stop)"
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache .hypothesis
