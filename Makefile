# Partnerradar: `make run` installs and serves the demo, `make test` installs and tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DATA ?= ../shared/data

.PHONY: install run demo test eval bench clean

install: $(STAMP)

# The CPU build of torch goes in first, so that sentence-transformers doesn't pull CUDA.
$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/partnerradar demo

run: demo
	$(BIN)/partnerradar serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -q

eval: $(STAMP)
	$(BIN)/partnerradar evaluate --data $(DATA)

# The benchmark of issue 7 (needs the `bench` extra: txtai, matplotlib); MAX_N=1000000 for the full run.
MAX_N ?= 10000
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m evaluation.bench --max-n $(MAX_N) --data $(DATA)

clean:
	rm -rf $(VENV) data/*.db data/*.db-* data/*.index data/*.rejects
