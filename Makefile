# uxlab developer commands. `make demo` and `make test` work on a fresh machine
# with Python 3.11+ and make.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
UXLAB := $(VENV)/bin/uxlab
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench
PYTEST_ARGS ?=
# The suite runs in this many processes (pytest-xdist): much of it waits on
# browsers, servers and workers, so two processes finish it sooner even on two
# cores. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS)
PORT ?= 5000

.PHONY: help install demo serve test test-fast test-browser test-postgres check fmt bench chromium redis poppler clean

help:
	@echo "make demo    create the virtualenv, seed a demo study and serve it on http://127.0.0.1:5000"
	@echo "make test    install test dependencies and Chromium, run the whole suite"
	@echo "make test-postgres  the whole suite on a throwaway PostgreSQL (started and removed)"
	@echo "make check   ruff format --check, ruff check, mypy"
	@echo "make bench   run the benchmarks in benchmarks/"

# The demo needs the package alone; the test and benchmark tools are extras,
# installed by the targets that use them. uv installs the package's
# dependencies in parallel and without byte-compiling every module (Python
# compiles what it imports on first use): 12 s, where pip took a minute.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip install --quiet --python $(PY) -e .
	@touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(TEST_STAMP)

$(BENCH_STAMP): $(TEST_STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	@touch $(BENCH_STAMP)

install: $(TEST_STAMP)

# A headless Chromium for browser tests, audits and PDF reports: Debian's package
# when we are root on a Debian-like system, else Playwright's managed browser.
chromium: $(STAMP)
	@if [ -n "$$UXLAB_CHROMIUM" ] || command -v chromium >/dev/null 2>&1; then \
	  echo "chromium: $${UXLAB_CHROMIUM:-$$(command -v chromium)}"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	else \
	  $(PY) -m playwright install chromium; \
	fi

# Redis, for the test that keeps rate-limit counters there (it is skipped when
# no redis-server can be had).
redis:
	@if command -v redis-server >/dev/null 2>&1; then \
	  echo "redis-server: $$(command -v redis-server)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	else \
	  echo "redis-server: not installed; the Redis rate-limit test will be skipped"; \
	fi

# poppler's pdftotext, for the test that reads the PDF report's text (skipped
# when it cannot be had).
poppler:
	@if command -v pdftotext >/dev/null 2>&1; then \
	  echo "pdftotext: $$(command -v pdftotext)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; \
	else \
	  echo "pdftotext: not installed; the PDF text test will be skipped"; \
	fi

demo: $(STAMP)
	$(UXLAB) demo
	$(UXLAB) serve --host 127.0.0.1 --port $(PORT)

serve: $(STAMP)
	$(UXLAB) serve

test: $(TEST_STAMP) chromium redis poppler
	$(PYTEST) $(PYTEST_ARGS)

# The same suite on a PostgreSQL server that .ci/with-postgres starts on a free
# port and removes afterwards (installing Debian's postgresql when missing).
test-postgres: $(TEST_STAMP) chromium redis poppler
	.ci/with-postgres $(PYTEST) $(PYTEST_ARGS)

test-fast: $(TEST_STAMP)
	$(PYTEST) -m "not browser" $(PYTEST_ARGS)

test-browser: $(TEST_STAMP) chromium poppler
	$(PYTEST) -m browser $(PYTEST_ARGS)

check: $(TEST_STAMP)
	$(VENV)/bin/ruff format --check uxlab tests benchmarks
	$(VENV)/bin/ruff check uxlab tests benchmarks
	$(VENV)/bin/mypy

fmt: $(TEST_STAMP)
	$(VENV)/bin/ruff format uxlab tests benchmarks
	$(VENV)/bin/ruff check --fix uxlab tests benchmarks

# Every benchmarks/*_bench.py runs, load_bench.py among them: a Locust load run of
# 200 participants and a researcher for 2 minutes, exiting 1 if an acknowledged
# answer or event was lost or stored twice.
# The ingest benchmark runs again on a throwaway, durable PostgreSQL with two app
# processes (and once with one killed half-way) when a server can be started.
# Every benchmark runs; those that missed a goal are named at the end (exit 1).
bench: $(BENCH_STAMP) chromium
	@missed=""; \
	for b in benchmarks/*_bench.py; do echo "== $$b"; $(PY) $$b || missed="$$missed $$b"; done; \
	if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }; then \
	  echo "== benchmarks/ingest_bench.py --database postgresql"; \
	  .ci/with-postgres --durable $(PY) benchmarks/ingest_bench.py --database postgresql || missed="$$missed ingest(postgresql)"; \
	  echo "== benchmarks/ingest_bench.py --database postgresql --kill-one"; \
	  .ci/with-postgres --durable $(PY) benchmarks/ingest_bench.py --database postgresql --kill-one || missed="$$missed ingest(postgresql,kill-one)"; \
	else \
	  echo "== PostgreSQL benchmark skipped: no PostgreSQL server here (Debian: apt-get install postgresql)"; \
	fi; \
	if [ -n "$$missed" ]; then echo "== goals missed or benchmarks failed:$$missed"; exit 1; fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
