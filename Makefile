# Nmbrs payroll sync for Apache Airflow. `make demo` runs the job, `make test` the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo airflow test lint format sandbox bench check-lock clean help

help:
	@echo "make demo     run the main job end to end on embedded defaults"
	@echo "make airflow  the demo world with a real Airflow UI on 127.0.0.1 (Ctrl-C stops it)"
	@echo "make test     run the whole test suite"
	@echo "make lint     ruff check and format check"
	@echo "make sandbox  run the Nmbrs sandbox on 127.0.0.1:8080 (Ctrl-C to stop)"
	@echo "make check-lock  check that constraints.txt resolves on Python 3.11, 3.12 and 3.13 (pip --dry-run)"
	@echo "make bench    benchmark the load and the Nmbrs page on a quick size (BENCH_ARGS=--full: about an hour)"

install: $(STAMP)

$(STAMP): requirements.txt constraints.txt plugins/nmbrs_provider/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else "Python 3.11 to 3.13 is needed (found " + sys.version.split()[0] + " at " + sys.executable + "): run make with PYTHON=python3.11, python3.12 or python3.13")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e plugins/nmbrs_provider
	@touch $(STAMP)

demo: install
	$(PY) -m dev.demo

airflow: install
	$(PY) -m dev.airflow_local

# The suite runs in parallel, one test file per worker (its module fixtures stay together). Most
# slow tests wait on Airflow and PostgreSQL processes, so three workers help even on two cores.
TEST_WORKERS ?= 3
test: install
	$(PY) -m ruff check .
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

sandbox: install
	$(PY) -m nmbrs_sandbox --host 127.0.0.1 --port 8080

clean:
	rm -rf $(VENV) .demo .pytest_cache .ruff_cache

bench: install
	$(PY) -m bench $(BENCH_ARGS)

# The lock must resolve on every Python the project supports. Each interpreter is looked up on
# PATH (python3.11 ...) or given as LOCK_PYTHONS="/path/to/python3.12 ...".
LOCK_PYTHONS ?= python3.11 python3.12 python3.13
check-lock:
	@set -e; for py in $(LOCK_PYTHONS); do \
	  command -v $$py >/dev/null || { echo "$$py not found: install it or set LOCK_PYTHONS"; exit 1; }; \
	  echo "resolving requirements.txt with constraints.txt on $$($$py --version)"; \
	  $$py -m pip install --dry-run --ignore-installed --quiet --disable-pip-version-check \
	    -r requirements.txt -c constraints.txt; \
	done; echo "the lock resolves on: $(LOCK_PYTHONS)"
