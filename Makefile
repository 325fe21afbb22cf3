# The two commands of the README: `make run` and `make test`. Each installs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test lint bench system-packages clean constraints install

$(BIN)/flask: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -c constraints.txt -e '.[test]'
	touch $(BIN)/flask

# Production (README, "Production"): the app and gunicorn into .venv at the pinned versions,
# without the test tools; as root, also Debian's Pango (PDF reports) and pg_dump (backups).
PRODUCTION_PACKAGES := /usr/lib/$(shell uname -m)-linux-gnu/libpangoft2-1.0.so.0:libpangoft2-1.0-0 \
	/usr/bin/pg_dump:postgresql-client
install:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -c constraints.txt -e .
	$(BIN)/python -m compileall -q diary app.py  # not compiled again at each start
	mkdir -p instance  # the one folder the app writes (systemd's ReadWritePaths names it)
	@$(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES="$(PRODUCTION_PACKAGES)"

# Pin what the current environment runs (after changing dependencies in pyproject.toml).
constraints:
	(echo "# Versions CI ran with; make installs with these as constraints (refresh: make constraints)."; \
	 $(BIN)/python -m pip freeze --exclude-editable) > constraints.txt

# A local trial on SQLite. HOST=0.0.0.0 serves the local network too (a phone in the
# same room); PUBLIC_URL is then the address the phone uses, e.g. http://192.168.1.20:5000.
run: export BLOCK_DIARY_ENV := $(or $(BLOCK_DIARY_ENV),development)
run: export PUBLIC_URL := $(or $(PUBLIC_URL),http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT))
run: $(BIN)/flask
	$(BIN)/flask db upgrade
	$(BIN)/flask demo
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# Debian packages the tests drive: Chromium (browser tests), nginx, Redis and openssl (the
# production topology test), pg_dump (backups), faketime (the suite a year ahead).
# Installed with apt-get when run as root; otherwise the tests that need them skip and say why.
SYSTEM_PACKAGES := /usr/bin/chromium:chromium /usr/sbin/nginx:nginx \
	/usr/bin/redis-server:redis-server /usr/bin/openssl:openssl \
	/usr/bin/faketime:faketime /usr/bin/pg_dump:postgresql-client \
	/usr/lib/$(shell uname -m)-linux-gnu/libpangoft2-1.0.so.0:libpangoft2-1.0-0
system-packages:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
	  test -e "$${pair%%:*}" || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && apt-get install -y -qq $$missing >/dev/null) \
	      || echo "Could not install$$missing: the tests that need them will be skipped."; \
	  else echo "Not installed:$$missing (apt-get install as root): those tests will be skipped."; fi; \
	fi

test: lint system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Style, security patterns, the Flask-free core (import contract in pyproject.toml), types.
lint: $(BIN)/flask
	$(BIN)/ruff check diary tests app.py docs tools bench
	$(BIN)/bandit --quiet --recursive diary --severity-level medium
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

# Benchmarks (not tests): figures into bench/RESULTS.md. wrk comes from Debian's packages.
bench: $(BIN)/flask
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/run_all.py
	$(BIN)/python bench/phones.py
	$(BIN)/python bench/lighthouse.py

clean:
	rm -rf $(VENV) .pytest_cache
