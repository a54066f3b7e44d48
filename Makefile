# Two commands do all set-up: `make up` runs the system, `make test` passes the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The browser tests drive Debian's Chromium (scripts/ensure_browser.sh installs it if missing).
.PHONY: browser up test bench bench-settlement bench-scan fuzz lint install clean ledger-check

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

up: $(STAMP)
	$(BIN)/python -m scripts.up

browser:
	scripts/ensure_browser.sh

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m scripts.bench $(BENCH_ARGS)

# Build a month for 420,000 residents on PostgreSQL (drops and recreates ddk_bench), settle it.
bench-settlement: $(STAMP)
	$(BIN)/python -m scripts.bench_settlement $(BENCH_ARGS)

bench-scan: $(STAMP)
	$(BIN)/python -m scripts.bench_scan $(BENCH_ARGS)

fuzz: $(STAMP)
	$(BIN)/python -m scripts.fuzz $(FUZZ_ARGS)

ledger-check: $(STAMP)
	$(BIN)/python -m db.ledger_check

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf var $(VENV)
