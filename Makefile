# Two commands for a newcomer: `make run` (the API on http://127.0.0.1:8000 with demo data, on an
# embedded SQLite file) and `make test` (the whole suite; on PostgreSQL too when TEST_DATABASE_URL
# and TEST_API_DATABASE_URL are set). Everything is installed from the pinned constraints.txt.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint openapi bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/homecoming db upgrade
	$(BIN)/homecoming demo
	$(BIN)/homecoming serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	# One worker per core (pytest-xdist): each has its own database.
	$(BIN)/pytest -q -n auto

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

check: lint test

bench: $(STAMP)
	$(BIN)/python -m bench.run --owner-url "$(BENCH_OWNER_URL)" --api-url "$(BENCH_API_URL)" --cases $${BENCH_CASES:-10000,1000000}

openapi: $(STAMP)
	$(BIN)/python -m app.openapi_export > openapi/openapi.json

clean:
	rm -rf $(VENV) var
