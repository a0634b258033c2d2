# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/zorgplek up --demo

# The suite runs in parallel workers, each with a database and ports of its own. One worker
# more than there are cores, at most six: tests spend much of their time waiting on
# PostgreSQL, a browser or a child process. `TEST_WORKERS=0` runs everything in one process.
# Tests are handed out a few at a time, the long ones first (tests/conftest.py), so no
# worker is left with a queue behind a long test while the others are idle.
# Python's bytecode is kept (`__pycache__`) even where the environment turns that off: the
# workers and the processes the tests start then compile Zorgplek's modules, and pytest
# rewrites the tests' asserts, once per checkout instead of once per process.
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(min((os.cpu_count() or 1) + 1, 6))')

test: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n $(TEST_WORKERS) --dist load --maxschedchunk 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python -m bench $(if $(QUICK),--quick) $(BENCH)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
