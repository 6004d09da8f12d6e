# npre: the two commands a fresh machine needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 3000
MLFLOW_PORT ?= 5000

# Offline, quiet, reproducible: no hub, no telemetry, a project-local BentoML store.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export MLFLOW_DISABLE_TELEMETRY := true
export BENTOML_DO_NOT_TRACK := True
export GX_ANALYTICS_ENABLED := False
export DVC_NO_ANALYTICS := 1
export BENTOML_HOME := $(CURDIR)/.bentoml
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install demo demo-tiny test lint check-data plots serve bento serve-bento mlflow-ui clean

install: $(VENV)/.installed

# torch first, pinned, so nothing pulls a CUDA build; then the locked stack.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $@

demo: install
	dvc repro
	@echo
	@echo "== demo done =="
	@echo "The experiment grid on the evaluation set (the paper's metric):"
	@npre grid-table reports/grid.json --baseline reports/baseline/metrics.json \
		--register reports/register.json
	@echo "Metrics:    dvc metrics show   (all: reports/)"
	@echo "Plots:      make plots   then open reports/plots/index.html (works offline)"
	@echo "Data Docs:  reports/SAMPLER/data_docs/index.html (each sampler of grid.samplers)"
	@echo "MLflow UI:  make mlflow-ui   then open the address it prints (model-training views)"
	@echo "Serve:      make serve        then POST http://127.0.0.1:$(PORT)/extract"

# The quick profile (profiles/tiny.yaml: a GPT-2 built here as the base) as a DVC experiment.
demo-tiny: install
	eval dvc exp run $$(npre profile profiles/tiny.yaml)

lint: install
	ruff check src tests serving benchmarks
	ruff format --check src tests serving benchmarks

test: lint
	pytest

# The data-quality gate: GX checkpoints on the committed LOTUS table and evaluation set.
check-data: install
	npre check-data --lotus data/demo/lotus_demo.tsv --eval data/demo/eval_set.json

# Every plot of dvc.yaml (entropy curves, training curves, teacher losses...) as a PNG and
# on one HTML page that needs no network: reports/plots/ (`dvc plots show` loads Vega online).
plots: install
	npre plots --out reports/plots

# docs/results.md from reports/ and the benchmarks' result files (reports/benchmarks/*.json):
# run after `make demo` and the benchmarks, on the machine that ran them. Standard library only.
.PHONY: results
results:
	python3 benchmarks/results_page.py

serve: install
	bentoml serve serving.service:Extractor --host 127.0.0.1 --port $(PORT)

# The champion as a Bento: copied from the MLflow registry into the BentoML store
# (.bentoml), then built with it, so the Bento serves without mlflow.db. No download.
bento: install
	python -m serving.import_champion
	bentoml build -f serving/bentofile.yaml .

serve-bento: install
	bentoml serve npre-extractor:latest --host 127.0.0.1 --port $(PORT)

# The address it prints opens the pipeline's runs in MLflow's model-training views.
mlflow-ui: install
	@python -c 'from npre.mlops.tracking import model_training_url as url; \
		print("npre runs:", url("npre", "http://127.0.0.1:$(MLFLOW_PORT)"))'
	mlflow ui --backend-store-uri sqlite:///$(CURDIR)/mlflow.db --host 127.0.0.1 --port $(MLFLOW_PORT)

clean:
	rm -rf data/interim data/processed models reports mlflow.db mlartifacts .bentoml
