# Wangge: the front door. `make demo` and `make test` work on a fresh machine (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
MANAGE := $(PY) manage.py
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help install static demo serve migrate test test-fast screenshots lint fmt bench messages clean

help:
	@echo "make demo    install, migrate, load the demo street, development server on http://127.0.0.1:8000"
	@echo "make serve   install, migrate, collect static files, production server (gunicorn) and workers"
	@echo "make test    install and run the whole suite (unit, API, browser; PostgreSQL if DATABASE_URL is set)"
	@echo "make screenshots  run the browser tests and copy their screenshots to docs/screenshots"
	@echo "make bench   run the benchmarks (BENCH_SCALE=small|full), results in bench/results.jsonl"
	@echo "make lint    ruff + mypy;  make fmt  format the code"

$(UV):
	$(PYTHON) -m pip install --quiet --user uv || $(PYTHON) -m pip install --quiet uv

# The venv is rebuilt only when the lock changes, so a second `make demo` starts in seconds.
$(VENV)/.installed: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

wangge/static/vendor/.copied: node_modules/.installed scripts/copy_static.sh
	bash scripts/copy_static.sh
	touch $@

install: $(VENV)/.installed wangge/static/vendor/.copied

static: wangge/static/vendor/.copied

migrate: install
	@mkdir -p "$${WANGGE_VAR_DIR:-var}"
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) createcachetable

# The import worker, the notification deliverer and the deadline sweep (every 5 minutes) run
# beside the server and stop with it.
demo: migrate
	$(MANAGE) wangge_demo
	$(MANAGE) wangge_run_jobs --loop & worker=$$!; \
	$(MANAGE) wangge_deliver_notifications --loop & sender=$$!; \
	$(MANAGE) wangge_case_sweep --loop & sweeper=$$!; trap "kill $$worker $$sender $$sweeper" EXIT; \
	$(MANAGE) runserver 127.0.0.1:8000

# Production on one machine: gunicorn (config/gunicorn.conf.py: 2 x CPU + 1 sync workers or
# WANGGE_WEB_WORKERS, on WANGGE_BIND=127.0.0.1:8000) with config.settings.production, static files
# collected and served by WhiteNoise, and the three worker loops. The secret key is made once in
# var/secret_key (0600) unless WANGGE_SECRET_KEY(_FILE) is set; the field keys stay in
# var/keys.json (as for the demo) unless WANGGE_FIELD_KEYS is set. Put it behind a TLS proxy
# and set WANGGE_TLS=1 (docs/operations.md).
serve: migrate
	@set -e; umask 077; \
	if [ -z "$$WANGGE_SECRET_KEY$$WANGGE_SECRET_KEY_FILE" ] && [ ! -s var/secret_key ]; then \
	  $(PY) -c 'import secrets; print(secrets.token_urlsafe(64))' > var/secret_key; \
	  echo "made var/secret_key"; \
	fi
	@set -e; export DJANGO_SETTINGS_MODULE=config.settings.production; \
	if [ -z "$$WANGGE_SECRET_KEY$$WANGGE_SECRET_KEY_FILE" ]; then export WANGGE_SECRET_KEY_FILE=var/secret_key; fi; \
	if [ -z "$$WANGGE_FIELD_KEYS" ]; then export WANGGE_DEV_KEY_FILE=1; fi; \
	export PROMETHEUS_MULTIPROC_DIR="$${PROMETHEUS_MULTIPROC_DIR:-var/prometheus}"; \
	mkdir -p "$$PROMETHEUS_MULTIPROC_DIR"; rm -f "$$PROMETHEUS_MULTIPROC_DIR"/*.db; \
	$(MANAGE) check --deploy; \
	case "$$WANGGE_TLS" in 1|true|yes|on) ;; *) echo "Plain HTTP (WANGGE_TLS unset): W004/W008 are expected on loopback; behind a TLS proxy set WANGGE_TLS=1.";; esac; \
	$(MANAGE) collectstatic --noinput -v 0; \
	$(MANAGE) wangge_run_jobs --loop & worker=$$!; \
	$(MANAGE) wangge_deliver_notifications --loop & sender=$$!; \
	$(MANAGE) wangge_case_sweep --loop & sweeper=$$!; trap "kill $$worker $$sender $$sweeper" EXIT; \
	$(VENV)/bin/gunicorn -c config/gunicorn.conf.py config.wsgi

# In parallel on every core (pytest-xdist; TEST_WORKERS=0 runs in one process). Each worker has its
# own database (SQLite in memory, or test_<name>_<run>_gw<n> on PostgreSQL) and its own live
# server and chromium; a test file stays on one worker, so module fixtures are built once.
TEST_WORKERS ?= auto
test: install
	$(VENV)/bin/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile

# The browser tests write their pictures to var/screenshots/ (a test run changes no tracked
# file); this refreshes the copies the README shows.
screenshots: install
	rm -rf var/screenshots
	$(VENV)/bin/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile tests/browser
	mkdir -p docs/screenshots
	cp var/screenshots/*.png docs/screenshots/

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy wangge config bench

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/run.py

# Needs GNU gettext (apt: gettext). The compiled .mo is committed so that a fresh machine needs no gettext.
messages: install
	cd wangge && ../$(MANAGE) makemessages -l zh_Hans --no-obsolete --add-location file
	cd wangge && ../$(MANAGE) compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) node_modules wangge/static/vendor var/static
