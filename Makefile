# Two commands on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
TG := $(VENV)/bin/tracegraph
DEMO_STORE ?= .tracegraph/demo
export LITELLM_LOCAL_MODEL_COST_MAP = True

.PHONY: demo test test-long bench install clean neo4j

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
	-@bash scripts/neo4j.sh fetch
	$(PY) -m pytest -q

test-long: $(VENV)/.installed
	$(PY) -m pytest -q -m long

bench: $(VENV)/.installed
	$(PY) bench/ingest.py
	$(PY) bench/diagnose.py
	$(PY) bench/llm_tokens.py
	$(PY) bench/stages.py
	$(PY) bench/quality.py

# The bundled Neo4j 5.26 community server (no Docker), in the foreground on bolt://127.0.0.1:7687; Ctrl-C stops it.
neo4j:
	NEO4J_PASSWORD="$${NEO4J_PASSWORD:-tracegraph}" bash scripts/neo4j.sh run .tracegraph/neo4j "$${NEO4J_PORT:-7687}"

clean:
	rm -rf $(VENV) .tracegraph tests/artifacts
