# veille: the two commands are `make demo` and `make test`.
#
#   make demo    create .venv if missing, install the collector, run the self-contained demo
#   make test    install test dependencies (Debian servers, .venv), then ruff, mypy, pytest
#   make lint    ruff and mypy only (after one `make test`, which installs them)
#   make bench   run every bench/*.py script
#   make clean   remove caches and generated output (keeps .venv; `make distclean` removes it)
#
# PYTEST_ARGS adds pytest options, e.g. make test PYTEST_ARGS="-k sinks --junitxml=junit.xml".

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
# tests run in PYTEST_WORKERS processes (pytest-xdist), a test module per worker: most of them
# wait on servers, so 3 workers on 2 cores keep the suite under 10 minutes; 0 runs in-process
PYTEST_WORKERS ?= 3
# mypy's `files` (pyproject.toml) minus folders with no Python file yet: mypy stops on those
MYPY_PATHS := $(foreach d,contract agent collector loopback tests bench,$(if $(wildcard $(d)/*.py $(d)/*/*.py),$(d)))

.PHONY: demo test lint bench clean distclean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

demo: $(BIN)/python
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[collector]'
	$(BIN)/veille-collector demo

test:
	PYTHON=$(PYTHON) VENV=$(VENV) scripts/install-test-deps.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(MYPY_PATHS)
	$(BIN)/pytest -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile --durations=10 $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(MYPY_PATHS)

bench: $(BIN)/python
	@shopt -s nullglob; scripts=(bench/[!_]*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "bench: no bench/*.py script"; exit 0; fi; \
	for script in "$${scripts[@]}"; do \
		echo "== $$script"; PYTHONPATH=. $(BIN)/python "$$script"; \
	done

clean:
	rm -rf build dist demo-output .test-servers .pytest_cache .mypy_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) *.egg-info
