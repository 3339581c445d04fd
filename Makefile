# Two commands on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
TG := $(VENV)/bin/tracegraph
DEMO_STORE ?= .tracegraph/demo
export LITELLM_LOCAL_MODEL_COST_MAP = True

.PHONY: demo test test-long bench install clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(TG) --store $(DEMO_STORE) ingest examples/runs
	$(TG) --store $(DEMO_STORE) diagnose --all
	$(TG) --store $(DEMO_STORE) runs

test: $(VENV)/.installed
	-@bash scripts/ensure-debian-package.sh chromium chromium chromium-browser google-chrome
	-@bash scripts/ensure-cypher-lint.sh
	-@bash scripts/ensure-debian-package.sh bubblewrap bwrap
	$(PY) -m pytest -q

test-long: $(VENV)/.installed
	$(PY) -m pytest -q -m long

bench: $(VENV)/.installed
	$(PY) bench/ingest.py
	$(PY) bench/diagnose.py
	$(PY) bench/llm_tokens.py
	$(PY) bench/stages.py
	$(PY) bench/quality.py

clean:
	rm -rf $(VENV) .tracegraph tests/artifacts
