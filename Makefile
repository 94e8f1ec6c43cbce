# One virtual environment (.venv) for everything; each target sets it up if needed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 7860

.PHONY: install test lint demo book book-quick train benchmarks clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

lint: install
	$(PY) -m ruff check .

test: lint
	$(PY) -m pytest

demo: install
	$(PY) demo.py --host $(HOST) --port $(PORT)

book: install
	$(PY) -m jupyter_book build book --warningiserror --keep-going

book-quick: install
	DIGITLIB_QUICK=1 $(PY) -m jupyter_book build book --warningiserror --keep-going

train: install
	$(PY) -m digitlib.train --model cnn --out models/digit_cnn.keras

benchmarks: install
	$(PY) benchmarks/train_benchmark.py
	$(PY) benchmarks/inference_benchmark.py

clean:
	rm -rf book/_build .pytest_cache .ruff_cache
