# Two commands do all set-up on a fresh machine:
#   make book   builds the book, executing every chapter it has not cached -> _build/html
#   make test   runs the whole test suite in one pytest command: helper tests, every
#               chapter under nbval (each executed once), a Colab-like environment on
#               the models they trained, the book built from those executions
#               (rendered, not re-executed) -> _build/html, and the rendered book in
#               headless Chromium
# Both create .venv and install requirements.txt into it first.
#
# MNIST_DIR: a folder with the four MNIST IDX files. Default: ../shared/data/mnist when
# it exists; empty means Keras downloads MNIST (needs internet).

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
MNIST_DIR ?= $(wildcard ../shared/data/mnist)

# The Pythons the pinned stack installs on (LCE 0.16 has wheels up to 3.12; verified on
# 3.11 and 3.12). Before .venv exists, another Python stops make at once, in one line.
SUPPORTED_PYTHONS := 3.11 3.12
ifneq ($(filter-out clean chromium,$(or $(MAKECMDGOALS),book)),)
ifeq ($(wildcard $(VENV)/installed),)
FOUND_PYTHON := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
ifeq ($(filter $(FOUND_PYTHON),$(SUPPORTED_PYTHONS)),)
$(error $(PYTHON) is Python $(or $(FOUND_PYTHON),(not found)); the book's pinned stack needs Python $(firstword $(SUPPORTED_PYTHONS)) or $(lastword $(SUPPORTED_PYTHONS)): choose one, e.g. make PYTHON=python$(lastword $(SUPPORTED_PYTHONS)) $(or $(MAKECMDGOALS),book))
endif
endif
endif

export PATH := $(BIN):$(PATH)
export BNNBOOK_MNIST_DIR := $(if $(MNIST_DIR),$(abspath $(MNIST_DIR)))
export PYTHONHASHSEED := 0
# TensorFlow's C++ log: 3 drops its INFO, WARNING and ERROR lines (cuInit without a GPU,
# "NodeDef mentions attribute use_unbounded_threadpool"); Python exceptions still show.
# The few lines TensorFlow prints before its logging starts cannot be silenced so.
export TF_CPP_MIN_LOG_LEVEL := 3

.PHONY: book test chromium bench clean

$(VENV)/installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

book: $(VENV)/installed
	$(BIN)/jupyter-book build . --warningiserror --keep-going

# Debian's Chromium for the browser tests (Playwright cannot download its own browser
# here). Installed where we are root with apt; elsewhere the browser tests skip and say why.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "No Chromium and no root apt-get: the browser tests will be skipped."; fi; }

test: $(VENV)/installed chromium
	$(BIN)/python -m pytest --nbval-lax --durations=0 -v

bench: $(VENV)/installed
	$(BIN)/python -m bnnbook.bench

clean:
	rm -rf _build book/artifacts
