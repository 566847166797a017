# Two commands do everything on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
STRIPE_PORT ?= 8420
# gunicorn: one process per core, a few threads each (pages mostly wait on the database).
WEB_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
THREADS ?= 4
FLASK := $(BIN)/flask --app wsgi
# The suite runs in parallel, one pytest worker per core (each with its own database and servers).
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
STAMP := $(VENV)/.installed
# `make run` is the local demo: development secrets are allowed (in production the app refuses them).
PORTAL_ENV ?= development
export PORTAL_ENV

.PHONY: run banner test test-sqlite test-postgresql install system-deps translations bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

translations: install
	$(FLASK) portal translations compile

## Install into .venv, migrate the SQLite database in instance/, load the demo once, then serve with gunicorn
## next to the worker and the local Stripe emulator; Ctrl-C stops all three. `make run DEV=1`: Flask's
## development server (reloads on code changes) instead of gunicorn.
run: translations
	mkdir -p instance
	$(FLASK) db upgrade
	@$(BIN)/python -m portal.payments.emulator --port $(STRIPE_PORT) \
	    --webhook http://$(HOST):$(PORT)/payments/webhook > instance/stripe-emulator.log 2>&1 & \
	  emulator=$$!; worker=; \
	  trap 'kill $$emulator $$worker 2>/dev/null; wait 2>/dev/null' EXIT INT TERM; sleep 1; \
	  export STRIPE_API_BASE=http://127.0.0.1:$(STRIPE_PORT) STRIPE_JS_URL=http://127.0.0.1:$(STRIPE_PORT)/js.stripe.com/v3/ \
	    PORTAL_URL=http://$(HOST):$(PORT); \
	  $(FLASK) portal worker & worker=$$!; \
	  $(FLASK) portal demo && $(MAKE) --no-print-directory banner && \
	  if [ -n "$(DEV)" ]; then $(FLASK) run --debug --host $(HOST) --port $(PORT); \
	  else $(BIN)/gunicorn --no-control-socket --bind $(HOST):$(PORT) --workers $(WEB_WORKERS) --worker-class gthread \
	    --threads $(THREADS) --access-logfile - wsgi:app; fi

banner:
	@echo
	@echo "  Partner loyalty portal: http://$(HOST):$(PORT)"
	@echo "  Demo logins (password demo12345):"
	@echo "    admin@demo.test      administrator"
	@echo "    manager@demo.test    program manager"
	@echo "    head@demo.test       partner admin"
	@echo "    seller@demo.test     participant, manager audience"
	@echo "    installer@demo.test  participant, specialist audience"
	@echo "  Served by gunicorn ($(WEB_WORKERS) processes x $(THREADS) threads); make run DEV=1 for the development server."
	@echo "  The worker delivers mail (printed here; set MAIL_SERVER to send it), runs scheduled jobs and large exports."
	@echo "  Card payments go to a local Stripe emulator on port $(STRIPE_PORT) (test card 4242 4242 4242 4242)."
	@echo

## Chromium for the browser tests, PostgreSQL and Redis for the second run, when missing (as root).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing system packages:$$missing (install them, or run as root)"; exit 1; \
	  fi; \
	fi

## The whole suite on SQLite, then again on PostgreSQL with the queue and rate limits on Redis (servers the
## suite starts itself).
test: install system-deps translations
	$(MAKE) test-sqlite
	$(MAKE) test-postgresql

test-sqlite:
	$(BIN)/pytest -q -n $(TEST_WORKERS)

test-postgresql:
	TEST_DATABASE=postgresql $(BIN)/pytest -q -n $(TEST_WORKERS)

bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check portal tests bench

clean:
	rm -rf $(VENV) instance artifacts
