# The two commands of the README: `make run` and `make test`. Each installs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test lint bench browser clean constraints

$(BIN)/flask: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(BIN)/flask

# Pin what the current environment runs (after changing dependencies in pyproject.toml).
constraints:
	(echo "# Versions CI ran with; make installs with these as constraints (refresh: make constraints)."; \
	 $(BIN)/python -m pip freeze --exclude-editable) > constraints.txt

run: $(BIN)/flask
	BLOCK_DIARY_ENV=$${BLOCK_DIARY_ENV:-development} $(BIN)/flask db upgrade
	BLOCK_DIARY_ENV=$${BLOCK_DIARY_ENV:-development} $(BIN)/flask demo
	BLOCK_DIARY_ENV=$${BLOCK_DIARY_ENV:-development} $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Debian's Chromium for the browser tests; skipped quietly when apt is not usable.
browser:
	@test -x /usr/bin/chromium || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
	  && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	  || echo "Chromium not installed: the browser tests will be skipped."; }

test: $(BIN)/flask browser
	$(BIN)/ruff check diary tests app.py docs tools bench
	$(BIN)/bandit --quiet --recursive diary --severity-level medium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/flask
	$(BIN)/ruff check diary tests bench app.py

# Benchmarks (not tests): figures into bench/RESULTS.md. wrk comes from Debian's packages.
bench: $(BIN)/flask
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/run_all.py
	$(BIN)/python bench/phones.py
	$(BIN)/python bench/lighthouse.py

clean:
	rm -rf $(VENV) .pytest_cache
