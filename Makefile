# One task runner for people and CI alike. Needs only python3 (3.11+) and make:
# uv is installed into .tools/ on first use, dependencies into .venv/ from uv.lock.

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
RUN := $(UV) run --frozen
ARGS ?= serve

.PHONY: run test lint format bench clean

run: .venv/.synced
	$(RUN) agentcron $(ARGS)

test: lint
	$(RUN) pytest $(PYTEST_ARGS)

lint: .venv/.synced
	$(RUN) ruff check src tests bench
	$(RUN) ruff format --check src tests bench
	$(RUN) mypy

format: .venv/.synced
	$(RUN) ruff check --fix src tests bench
	$(RUN) ruff format src tests bench

bench: .venv/.synced
	$(RUN) python bench/schedules_bench.py

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode
	touch $@

clean:
	rm -rf .venv $(TOOLS) .mypy_cache .ruff_cache .pytest_cache .hypothesis
