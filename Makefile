# The README's two commands: `make run` (the app) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test bench pretrained clean

run: $(VENV)/.installed
	$(BIN)/streamlit run streamlit_app.py --server.port $(PORT)

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest

# Side-by-side benchmarks whose figures are in the README.
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/train_speed.py

# Rebuild the shipped model, assets/pretrained.safetensors, from the baby-talk corpus.
pretrained: $(VENV)/.installed
	$(BIN)/python -m babylm train --seed 0 --out assets/pretrained.safetensors

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache artifacts
