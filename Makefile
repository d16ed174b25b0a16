# SafeShare HK: one command per task, the same for people and CI.
SHELL := /bin/bash
PYTHON ?= python3.10
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.DEFAULT_GOAL := help
.PHONY: help setup system-deps run-deps run shell train test test-unit lint bench user retention scaled compose-config rules clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.10 is required (pyenv install 3.10.13)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip==24.2
	$(PIP) install --quiet -r requirements.txt -r requirements-dev.txt -c constraints.txt
	$(PIP) install --quiet --no-deps -e .
	touch $@

widget/node_modules/.installed: widget/package.json widget/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix widget --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the widget's build check and accessibility check will be skipped"; fi

setup: $(VENV)/.installed widget/node_modules/.installed ## create the Python 3.10 virtualenv and install pinned dependencies
	@$(PY) -m safeshare.nlu.spacy_builder

# Debian packages: what `make run` uses to run two Rasa processes (nginx in front, a private Redis
# for the widget's pushes between them; without them it runs one), and what the tests add (a browser,
# CJK and emoji fonts for screenshots, docker-compose to validate the compose file).
RUN_PACKAGES := nginx redis-server
TEST_PACKAGES := chromium fonts-noto-cjk fonts-noto-color-emoji docker-compose
define apt_install
	@missing=""; \
	for pkg in $(1); do \
	  dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing Debian packages:$$missing (sudo make system-deps)"; fi; \
	fi
endef

system-deps: ## install Debian packages for make run, browser tests, the scaled run and compose validation (root)
	$(call apt_install,$(RUN_PACKAGES) $(TEST_PACKAGES))

run-deps: ## install the Debian packages make run uses for two Rasa processes: nginx, redis-server (root)
	$(call apt_install,$(RUN_PACKAGES))

train: setup ## train the Rasa model if data, config or domain changed (models/safeshare.tar.gz)
	$(PY) -m safeshare train

run: setup run-deps ## install everything, train if needed, start all processes, print where to chat
	$(PY) -m safeshare run

shell: setup ## chat in the terminal (rasa shell with its own action server)
	$(PY) -m safeshare shell

test: setup system-deps train ## install everything, train if needed, run the whole test suite
	$(PY) -m pytest -q -rs

test-unit: setup ## the fast tests only (no trained model, no browser)
	$(PY) -m pytest -q -m "not model and not browser and not slow"

lint: setup ## ruff lint + format check
	$(VENV)/bin/ruff check safeshare actions bot tests scripts
	$(VENV)/bin/ruff format --check safeshare actions bot tests scripts

bench: train ## accuracy vs plain Rasa, latency/throughput, training time (writes bench/results/)
	$(PY) bench/run_all.py

user: setup ## add a staff console account: make user NAME=alice ROLE=admin
	$(PY) -m safeshare create-user $(NAME) --role $(or $(ROLE),reviewer)

retention: setup ## delete closed inquiries and idle conversations older than SAFESHARE_RETENTION_DAYS
	$(PY) -m safeshare retention

scaled: train system-deps ## two Rasa replicas + actions + nginx on loopback, PostgreSQL + Redis
	$(PY) scripts/scaled_run.py

compose-config: system-deps ## validate docker-compose.yml without an engine
	docker-compose -f docker-compose.yml config -q

rules: setup ## regenerate the per-topic rules from catalogue/topics.yml
	$(PY) scripts/generate_rules.py

clean: ## remove the virtualenv, built spaCy pipeline and trained models
	rm -rf $(VENV) build models/*.tar.gz models/*.fingerprint
