# wom: `make run` serves the demo on http://127.0.0.1:5000; `make test` runs every test.
# `make run PORT=8080` (or `make serve PORT=8080`) serves on another port.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wom
DEMO_CUSTOMERS ?= 3000

.PHONY: run test lint bench soak serve deps clean-db

# Front-end packages come from npm, pinned by package-lock.json (once there are any).
NODE_DEPS := $(if $(wildcard package.json),node_modules/.installed)

deps: $(VENV)/.installed $(NODE_DEPS)

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# The browser files wom serves are copied from node_modules into static/vendor.
VENDOR_FILES := chart.js/dist/chart.umd.min.js cytoscape/dist/cytoscape.min.js \
	layout-base/layout-base.js cose-base/cose-base.js cytoscape-fcose/cytoscape-fcose.js \
	swagger-ui-dist/swagger-ui-bundle.js swagger-ui-dist/swagger-ui.css

node_modules/.installed: package.json package-lock.json
	SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cd node_modules && cp $(VENDOR_FILES) ../static/vendor/
	touch $@

# Random keys for this machine, kept in the instance folder (never committed).
instance/config.py:
	mkdir -p instance
	$(PYTHON) -c "import secrets; print(f'SECRET_KEY = {secrets.token_hex(32)!r}'); print(f'IP_HMAC_KEY = {secrets.token_hex(32)!r}'); print(f'WEBHOOK_KEY = {secrets.token_hex(32)!r}')" > $@
	chmod 600 $@

instance/wom.db: | deps instance/config.py
	$(FLASK) init-db
	$(FLASK) demo --customers $(DEMO_CUSTOMERS) --seed 0 --ending-today
	$(FLASK) settings business_name "Lumière Coffee Roasters"
	$(FLASK) settings offer_text "Your first bag is on us, and your friend gets one too."
	$(FLASK) settings destination_url "https://lumiere-coffee.example/"

run: PORT = 5000
run: deps instance/config.py instance/wom.db
	WOM_HOLD_LOCK=1 $(FLASK) run --debug --no-reload --host 127.0.0.1 --port $(PORT)

# Production-style: one process with threads (docs/reliability.md), no debugger.
serve: PORT = 8000
serve: deps instance/config.py instance/wom.db
	$(BIN)/gunicorn --worker-class gthread --workers 1 --threads 8 \
		--bind 127.0.0.1:$(PORT) 'wom.wsgi:app'

lint: deps
	$(BIN)/ruff check .

test: deps lint
	$(BIN)/pytest -q

$(VENV)/.bench-installed: bench/requirements.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r bench/requirements.txt
	touch $@

# The landing benchmark loads the server with wrk (Debian's package).
bench: deps $(VENV)/.bench-installed
	@command -v wrk >/dev/null 2>&1 || { apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; } || \
		echo "could not install wrk: the landing benchmark will say so and stop"
	$(BIN)/python -m bench $(BENCH)

# The soak: every crash, concurrency, fuzzing, load and abuse check, one table of
# figures; within ten minutes on two cores, or the full counts with LONG=1.
soak: deps
	$(BIN)/python -m soak --level $(if $(LONG),long,default) $(SOAK)

clean-db:
	rm -f instance/wom.db instance/wom.db-wal instance/wom.db-shm
