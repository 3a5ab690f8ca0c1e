# Revocation Lab: every target does its own set-up (a .venv with the package, npm packages for
# the extension), so `make run` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per extra: `make run` installs the API only, `make lab` the lessons, `make test` all.
STAMP := $(VENV)/.installed-dev
API_STAMP := $(VENV)/.installed-api
LAB_STAMP := $(VENV)/.installed-lab
NODE_STAMP := extension/node_modules/.installed
SLIDES_STAMP := notebooks/node_modules/.installed
REVLAB_PORT ?= 8000
export REVLAB_PORT

.PHONY: run test lint lab slides extension bench clean

$(VENV)/.created:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Revocation Lab needs Python 3.11 or newer (found " + sys.version.split()[0] + ")")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

# setuptools warns, on every editable install of a project whose packages sit at the top of
# the checkout, that such folders shadow installed ones: that is the point of this layout.
$(VENV)/.installed-%: pyproject.toml | $(VENV)/.created
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e '.[$*]'
	touch $@

# web-ext (the Firefox linter) for the extension's tests; skipped with a message without npm.
$(NODE_STAMP): extension/package.json extension/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd extension && NO_UPDATE_NOTIFIER=1 npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: the extension's lint test will skip (apt-get install nodejs npm)"; fi

# reveal.js, require.js and the widget renderer for offline slides (from the npm registry).
$(SLIDES_STAMP): notebooks/package.json notebooks/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd notebooks && NO_UPDATE_NOTIFIER=1 npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed; \
	else echo "npm not found: the slides test will skip (apt-get install nodejs npm)"; fi

## run: the API on 127.0.0.1:$REVLAB_PORT under gunicorn, with the embedded SQLite database
run: $(API_STAMP)
	$(BIN)/revlab serve --host 127.0.0.1 --port $(REVLAB_PORT)

## test: lint, type checks and the whole suite (Python, the extension's JS tests, the browser)
test: $(STAMP) lint
	@$(MAKE) --no-print-directory $(NODE_STAMP) $(SLIDES_STAMP) || true
	NO_UPDATE_NOTIFIER=1 $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check sim tlsscan extension_api revlab tests benchmarks tools notebooks/build_slides.py
	$(BIN)/mypy
	$(BIN)/mypy --strict notebooks/build_slides.py

## lab: JupyterLab on the lessons; LAB_ARGS passes options through, e.g.
##      make lab LAB_ARGS="--port=8890 --no-browser". As root (containers) it adds --allow-root.
LAB_ARGS ?=
lab: $(LAB_STAMP)
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

## slides: one reveal.js deck per lesson and a combined talk in build/slides, figures in build/figures
slides: $(STAMP) $(SLIDES_STAMP)
	$(BIN)/python notebooks/build_slides.py --out build

## extension: build/extension-chrome.zip and build/extension-firefox.zip
extension:
	cd extension && node build.mjs

## bench: every benchmark (needs wrk and nginx: apt-get install wrk nginx)
bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache extension/node_modules notebooks/node_modules
