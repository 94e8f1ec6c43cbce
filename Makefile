# One virtual environment (.venv) for everything; each target sets it up if needed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 7860

.PHONY: install test lint demo lab book book-quick train benchmarks clean

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

# The chapters in JupyterLab, served to this machine only. LAB_FLAGS passes more options:
# --no-browser on a headless box, --allow-root in a container that runs as root.
LAB_PORT ?= 8888
lab: install
	$(VENV)/bin/jupyter lab --ServerApp.ip=$(HOST) --ServerApp.port=$(LAB_PORT) \
	    --ServerApp.root_dir=notebooks $(LAB_FLAGS)

# Built from the repository root so the chapters are notebooks/ itself. Quick builds get their
# own folder: the execution cache is keyed on the code, and must never hand a full build the
# outputs of a quick one.
BOOK := $(VENV)/bin/jupyter-book build . --config book/_config.yml --toc book/_toc.yml \
        --warningiserror --nitpick --keep-going

book: install
	DIGITLIB_HEADLESS=1 $(BOOK) --path-output book          # -> book/_build/html

book-quick: install
	DIGITLIB_QUICK=1 $(BOOK) --path-output book/quick      # -> book/quick/_build/html

train: install
	$(PY) -m digitlib.train --model cnn --epochs 30 --average-last 5 --widths 32,64,128 --out models/digit_cnn.keras

benchmarks: install
	$(PY) benchmarks/train_benchmark.py
	$(PY) benchmarks/inference_benchmark.py

clean:
	rm -rf book/_build book/quick .pytest_cache .ruff_cache
