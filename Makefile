# The README's two commands: `make run` (the app) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
N ?= 2
NGINX_PORT ?=

.PHONY: run test bench pretrained memory-game memory-models clean replicas replicas-stop nginx-conf

run: $(VENV)/.installed
	$(BIN)/streamlit run streamlit_app.py --server.port $(PORT)

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest

# Side-by-side benchmarks whose figures are in the README.
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/train_speed.py

# Rebuild the shipped model, assets/pretrained.safetensors, from the baby-talk corpus, and the
# default generation the app's first page shows from assets/ while torch loads.
pretrained: $(VENV)/.installed
	$(BIN)/python -m babylm train --seed 0 --out assets/pretrained.safetensors
	$(BIN)/python -m babylm.app.warm

# Serving a school: N replicas on ports PORT, PORT+1, ... in the foreground (Ctrl-C or
# `make replicas-stop` ends them all); NGINX_PORT=8080 also runs nginx in front with sticky routing.
replicas: $(VENV)/.installed
	$(BIN)/python -m deploy.school --replicas $(N) --port $(PORT) $(if $(NGINX_PORT),--nginx-port $(NGINX_PORT))

replicas-stop:
	$(BIN)/python -m deploy.school --stop

# The nginx site config for N replicas, for /etc/nginx/conf.d/babylm.conf.
nginx-conf:
	@$(BIN)/python -m deploy.school --print-nginx --replicas $(N) --port $(PORT) --nginx-port $(or $(NGINX_PORT),80)

# The memory game (assets/memory_game.txt): "me see kitty ... it say meow", fillers 0-120 characters.
memory-game: $(VENV)/.installed
	$(BIN)/python -m babylm.memory_game --out assets/memory_game.txt

# Train the three shipped memory models (assets/memory-{lstm,gru,rnn}.safetensors) on the game and
# measure their memory reach (bench/results/memory.json); see bench/memory_models.py.
memory-models: memory-game
	$(BIN)/python bench/memory_models.py

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
