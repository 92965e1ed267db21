# The commands README.md gives. Everything runs from the project's own virtualenv in .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ONLY ?=
PYTEST_ARGS ?= -n auto
KUBE_NAMESPACE ?= default
WEB_PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help setup deps run web scheduler worker test lint format typecheck bench test-cluster test-cluster-stop clean run-kube lock image image-test

help:
	@echo "make run           set up (first time) and start the site, scheduler and local workers on SQLite"
	@echo "make test          set up and run the whole test suite"
	@echo "make setup         virtualenv, dependencies, migrations, demo data (idempotent)"
	@echo "make lint          ruff (lint and format check) and the import layer contracts"
	@echo "make bench         run the benchmarks (ONLY=matching to run one)"
	@echo "make lock          pin dependencies from pyproject.toml (requirements.lock, and requirements-prod.lock for the image)"
	@echo "make test-cluster  build (once, cached) and start the test Kubernetes API server"
	@echo "make run-kube      make run with the Kubernetes executor on the test cluster (and a node agent)"
	@echo "make image         build the platform's image (IMAGE=wicn:latest, BASE_IMAGE=python:3.11-slim-bookworm)"
	@echo "make image-test    build it on this machine FROM a Debian base made here, for the tests (wicn:test)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { echo "Python 3.11 is needed: install it, or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip uv
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	@touch $(STAMP)

deps: $(STAMP)

setup: deps
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input -v 0
	$(BIN)/python manage.py seed_demo

# The site's links (pages, emails, calendar files, the feed) follow the port make run really serves.
run run-kube: export WEB_PORT := $(WEB_PORT)
run run-kube: export SITE_URL ?= http://127.0.0.1:$(WEB_PORT)

run: setup
	$(BIN)/honcho start -f Procfile.dev

# The site and scheduler with the Kubernetes executor on the test cluster (make test-cluster first).
run-kube: setup
	$(BIN)/python -m tests.support.kube.cluster start
	eval "$$($(BIN)/python -m tests.support.kube.cluster env)" && \
	  WORKFLOWS_EXECUTORS=kubernetes,local KUBERNETES_NAMESPACE=$(KUBE_NAMESPACE) \
	  WORKFLOWS_DAG_MODULES=workflows.kubernetes.example_dags $(BIN)/honcho start -f Procfile.kube

test: deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: deps
	$(BIN)/mypy

bench: deps
	$(BIN)/python -m benchmarks $(ONLY)

test-cluster: deps
	bash tests/support/kube/build.sh
	$(BIN)/python -m tests.support.kube.cluster start

test-cluster-stop: deps
	$(BIN)/python -m tests.support.kube.cluster stop

image: deps
	bash deploy/build-image.sh

# Machines that cannot pull images: a Docker engine started here and a base made with debootstrap.
image-test: deps
	bash tests/support/images/docker.sh
	IMAGE=wicn:test BASE_IMAGE="$$(bash tests/support/images/base.sh)" bash deploy/build-image.sh

lock: deps
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11 -q
	$(BIN)/uv pip compile pyproject.toml -c requirements.lock -o requirements-prod.lock --python-version 3.11 -q

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .mypy_cache
