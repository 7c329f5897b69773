# The two commands of the README, plus the benchmark. Everything a fresh
# machine with Python 3.11+ and make needs is set up here.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export TEST_DATABASE_URL
# two workers: the machines have two cores; each worker seeds its own demo database once;
# the browser tests all go to one of them (xdist_group in tests/e2e/conftest.py)
PYTEST_ARGS ?= -n auto --dist loadgroup -rf

.PHONY: setup browser run test test-sqlite test-postgresql bench lint

$(STAMP): requirements.txt
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

## make run: migrate the database (SQLite by default), seed demo data when it is empty, serve on :8501
run: setup
	$(BIN)/python -m db migrate
	$(BIN)/python -m db seed --if-empty
	$(BIN)/python -m db portfolio-rollup --if-stale
	$(BIN)/python -m streamlit run app.py

## Debian's chromium and CJK fonts for the browser tests (Playwright drives it; no browser download).
## Without root or apt the browser tests skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo -n"; \
	  echo "installing Debian's chromium and fonts-noto-cjk for the browser tests"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	} || echo "could not install chromium: the browser tests will skip"

## make test: the whole suite on SQLite, then again on PostgreSQL (its tests skip, saying why, without a server)
test: setup browser
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgresql

test-sqlite: setup
	TEST_DB_BACKEND=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgresql: setup
	TEST_DB_BACKEND=postgresql $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

## make bench: seed (or reuse) the m and l sizes on SQLite and PostgreSQL and time every page
bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)
