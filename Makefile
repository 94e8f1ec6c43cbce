# One virtual environment (.venv) for everything; each target sets it up if needed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 7860

.PHONY: install test lint demo book book-quick sketchpad onnx train benchmarks clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

lint: install
	$(PY) -m ruff check .

# The notebooks run in quick mode under nbval; the library's own tests set their mode per test.
test: lint
	DIGITLIB_QUICK=1 DIGITLIB_HEADLESS=1 $(PY) -m pytest --nbval-lax --nbval-current-env tests notebooks

demo: install
	$(PY) demo.py --host $(HOST) --port $(PORT)

# Built from the repository root so the chapters are notebooks/ itself. Quick builds get their
# own folder: the execution cache is keyed on the code, and must never hand a full build the
# outputs of a quick one.
BOOK := $(VENV)/bin/jupyter-book build . --config book/_config.yml --toc book/_toc.yml \
        --warningiserror --nitpick --keep-going

book: sketchpad
	DIGITLIB_HEADLESS=1 $(BOOK) --path-output book          # -> book/_build/html

book-quick: sketchpad
	DIGITLIB_QUICK=1 $(BOOK) --path-output book/quick      # -> book/quick/_build/html

# The "Try it" page runs the shipped model (as ONNX) in ONNX Runtime Web (from npm); both are
# made here at build time, next to the page's scripts, and never committed.
SKETCHPAD := book/static/sketchpad
sketchpad: $(SKETCHPAD)/digit_cnn.onnx $(SKETCHPAD)/ort/VERSION

$(SKETCHPAD)/digit_cnn.onnx: $(VENV)/.installed $(wildcard models/digit_cnn.*)
	$(PY) -m digitlib.export --out $@

$(SKETCHPAD)/ort/VERSION: scripts/fetch_onnxruntime_web.py
	$(PY) scripts/fetch_onnxruntime_web.py $(SKETCHPAD)/ort

onnx: install
	$(PY) -m digitlib.export                               # -> models/digit_cnn.onnx

train: install
	$(PY) -m digitlib.train --model cnn --epochs 30 --average-last 5 --widths 32,64,128 --out models/digit_cnn.keras

benchmarks: install
	$(PY) benchmarks/train_benchmark.py
	$(PY) benchmarks/inference_benchmark.py
	$(PY) benchmarks/sketchpad_benchmark.py

clean:
	rm -rf book/_build book/quick .pytest_cache .ruff_cache $(SKETCHPAD)/ort $(SKETCHPAD)/digit_cnn.onnx
