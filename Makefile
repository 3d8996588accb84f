# Two commands matter: `make run` (demo service on http://127.0.0.1:8000) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Browser-side packages (package.json), copied from node_modules/ into static/vendor/ (ignored).
VENDOR := static/vendor
VENDOR_STAMP := $(VENDOR)/.installed
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0
export FLASK_APP := wsgi

.PHONY: setup system-deps run test test-js test-pg test-browser test-faults lint format bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt 2>&1 | grep -v "is ignored: it is neither" || true
	$(PY) -c "import flask, flask_smorest, zxingcpp, fpdf" 
	touch $(STAMP)

# A CJK font is needed to render Chinese documents; installed from Debian when missing.
system-deps:
	@if ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null); \
	  else echo "Please install a CJK font (Debian: apt-get install fonts-noto-cjk)"; exit 1; fi; \
	fi

# The JavaScript verifier's Ed25519 fallback and hashes (@noble), and the QR reader of the scan
# page (jsqr) and the staff console's charts (echarts), served from our origin: installed from
# the lockfile, copied where Flask serves them.
$(VENDOR_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null)
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/noble-ed25519 $(VENDOR)/noble-hashes $(VENDOR)/jsqr $(VENDOR)/echarts
	cp node_modules/@noble/ed25519/{index.js,LICENSE} $(VENDOR)/noble-ed25519/
	cp node_modules/@noble/hashes/{sha2.js,_md.js,_u64.js,utils.js,LICENSE} $(VENDOR)/noble-hashes/
	cp node_modules/jsqr/dist/jsQR.js node_modules/jsqr/LICENSE $(VENDOR)/jsqr/
	cp node_modules/echarts/dist/echarts.common.min.js node_modules/echarts/LICENSE $(VENDOR)/echarts/
	touch $@

setup: $(STAMP) $(VENDOR_STAMP) system-deps

run: setup
	$(PY) -m miniapp_api.dev.serve

test: setup test-js
	$(PY) -m pytest -W error -m "not browser and not faults" $(PYTEST_ARGS)

# static/js/verify.mjs against tests/vectors/ (Node's built-in test runner).
test-js: setup
	node --test tests/js/

test-pg: setup
	TEST_DATABASE_URL=$(PG_TEST_URL) REDIS_URL=$(REDIS_TEST_URL) $(PY) -m pytest -W error -m "not browser and not faults" $(PYTEST_ARGS)

# The fault pass (docs/deployment.md): a private PostgreSQL cluster and Redis it kills and
# restarts, gunicorn with two workers, Debian's nginx (installed when missing). Ports 18110-18113.
test-faults: setup
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null)
	@command -v redis-server >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null)
	$(PY) -m pytest -W error -m faults -s tests/test_fault_pass.py $(PYTEST_ARGS)

# Headless Chromium from Debian (installed when missing); screenshots go to artifacts/.
test-browser: setup
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	$(PY) -m pytest -W error -m browser $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules $(VENDOR)
