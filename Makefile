# One task runner for people and CI alike. Needs only python3 (3.11+) and make:
# uv is installed into .tools/ on first use, dependencies into .venv/ from uv.lock.

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
RUN := $(UV) run --frozen
ARGS ?= serve
# make install puts the agentcron command here: BIN_DIR, else PREFIX/bin.
PREFIX ?= $(HOME)/.local
BIN_DIR ?= $(PREFIX)/bin

.PHONY: run install test lint format bench bytecode browser clean

run: bytecode
	$(RUN) agentcron $(ARGS)

# A launcher for this checkout's agentcron on PATH (it follows the checkout's updates).
install: bytecode
	@sh scripts/install-launcher "$(BIN_DIR)" "$(CURDIR)"

# The tests in two passes. First all but those marked serial, shared among TEST_PROCESSES
# processes (pytest-xdist; the tests of a file with an xdist_group mark stay in one). Then
# the serial ones, which bound lateness or elapsed time on the wall clock, alone. A pass that
# finds no test (PYTEST_ARGS naming a few) fails only if the other finds none either.
TEST_PROCESSES ?= 2

test: lint bytecode browser
	$(RUN) pytest -n $(TEST_PROCESSES) --dist loadgroup -m "not serial" $(PYTEST_ARGS); \
	shared=$$?; \
	$(RUN) pytest -m serial $(PYTEST_ARGS); \
	alone=$$?; \
	if [ $$shared -eq 5 ] && [ $$alone -eq 5 ]; then exit 5; fi; \
	for status in $$shared $$alone; do [ $$status -eq 0 ] || [ $$status -eq 5 ] || exit $$status; done

lint: .venv/.synced
	$(RUN) ruff check src tests bench
	$(RUN) ruff format --check src tests bench
	$(RUN) mypy

format: .venv/.synced
	$(RUN) ruff check --fix src tests bench
	$(RUN) ruff format src tests bench

bench: bytecode
	$(RUN) python bench/schedules_bench.py

# agentcron's own modules compiled ahead: Python skips writing bytecode when
# PYTHONDONTWRITEBYTECODE is set, and every command would then compile them anew
# (about a tenth of a second per process). Up to date, this takes a few milliseconds.
bytecode: .venv/.synced
	$(RUN) python -m compileall -q src

# Debian's Chromium, which the web page's tests drive (installed when missing).
browser:
	@sh scripts/ensure-chromium

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode
	touch $@

clean:
	rm -rf .venv $(TOOLS) .mypy_cache .ruff_cache .pytest_cache .hypothesis
