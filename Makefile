# Two commands for a newcomer: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck imports pytest fuzz bench drills install demo clean translations lock

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo load
	@echo "Serving on http://127.0.0.1:$(PORT)  (Ctrl+C to stop)"
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

test: lint typecheck imports pytest

# The lock file: the exact versions `make install` (and CI) install, as pip constraints.
# Regenerate after changing the dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

# Extract the pages' strings, update the Dutch catalogue and compile it (commit both files);
# MERGE=path/to/fragment.po fills empty Dutch entries from another catalogue.
translations: $(STAMP)
	$(BIN)/python scripts/translations.py $(if $(MERGE),$(foreach f,$(MERGE),--merge $(f)))

lint: $(STAMP)
	$(BIN)/ruff check .

# The import contracts of .importlinter: core < engines and web < features < ops and app,
# no cycles, policies/ and workflows/ never import the application.
imports: $(STAMP)
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

# Schemathesis against the OpenAPI document as admin, reference person, auditor and
# anonymous, on SQLite and PostgreSQL, with a larger budget than the test suite's.
FUZZ_MAX_EXAMPLES ?= 50
fuzz: $(STAMP)
	FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) $(BIN)/pytest tests/core/test_openapi_fuzz.py -s

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache .hypothesis

# The benchmark (docs/PERFORMANCE.md): gunicorn (2 sync workers) on SQLite and PostgreSQL,
# bulk-seeded at 1k and 100k cases, load from 127.0.0.1 only; writes bench/results.json and
# prints a table.  11-23 minutes by machine (bounded); BENCH_QUICK=1 for a smoke run.
BENCH_TIMEOUT ?= 2400
bench: $(STAMP)
	timeout --signal=TERM $(BENCH_TIMEOUT) $(BIN)/python bench/run.py

# The reliability drills (docs/PERFORMANCE.md, "Drills"): conflicts, kill -9 of workers, a
# database restart, backup and restore, two instances with two job runners, key rotation
# under load; gunicorn and a private throwaway PostgreSQL cluster (initdb on a free port, the
# shared server is never touched), 127.0.0.1 only.  Writes bench/drills.json, prints a
# summary per drill, exits 1 if any check fails.  4-6 minutes (bounded by DRILLS_TIMEOUT);
# DRILLS_ONLY=crash (space-separated names) runs some of them.
DRILLS_TIMEOUT ?= 900
DRILLS_ONLY ?=
drills: $(STAMP)
	timeout --signal=TERM $(DRILLS_TIMEOUT) $(BIN)/python bench/drills.py $(foreach d,$(DRILLS_ONLY),--only $(d))
