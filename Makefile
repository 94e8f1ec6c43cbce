# One virtual environment (.venv) for everything; each target sets it up if needed.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# Empty: demo.py's own defaults ($GRADIO_SERVER_NAME/PORT, else 127.0.0.1:7860).
HOST   ?=
PORT   ?=

# Colab's Python and the oldest one pyproject allows: pyenv's if it has them, else from PATH.
PY_COLAB  ?= $(or $(wildcard $(shell pyenv prefix 3.13 2>/dev/null)/bin/python3.13),python3.13)
PY_OLDEST ?= $(or $(wildcard $(shell pyenv prefix 3.10 2>/dev/null)/bin/python3.10),python3.10)
UV        := $(VENV)/bin/uv

.PHONY: install test lint demo lab book book-quick sketchpad onnx train benchmarks clean \
        colab-env oldest-env test-colab test-oldest

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# Colab as Google publishes it (tests/colab/pip-freeze.txt): its Python, its exact versions of
# what the chapters import, and no digitlib (each chapter's set-up cell installs it).
COLAB_PACKAGES := tensorflow keras numpy scipy pillow matplotlib seaborn scikit-learn tqdm \
                  gradio h5py ipython ipykernel

colab-env: .venv-colab/.installed

.venv-colab/.installed: tests/colab/pip-freeze.txt | install
	$(UV) venv -q --allow-existing -p $(PY_COLAB) .venv-colab
	grep -E '^[A-Za-z0-9_.-]+==' tests/colab/pip-freeze.txt > .venv-colab/constraints.txt
	$(UV) pip install -q -p .venv-colab/bin/python \
	    -c .venv-colab/constraints.txt $(COLAB_PACKAGES) pip
	touch $@

# The lowest versions of the direct dependencies that pyproject.toml allows, on the oldest Python.
oldest-env: .venv-oldest/.installed

.venv-oldest/.installed: pyproject.toml | install
	$(UV) venv -q --allow-existing -p $(PY_OLDEST) .venv-oldest
	$(UV) pip compile -q pyproject.toml --extra dev --resolution lowest-direct \
	    --python $(PY_OLDEST) -o .venv-oldest/requirements.txt
	$(UV) pip install -q -p .venv-oldest/bin/python -r .venv-oldest/requirements.txt
	$(UV) pip install -q -p .venv-oldest/bin/python --no-deps -e .
	touch $@

# Every chapter as Colab runs it (clone, %pip install, quick mode) in Colab's environment.
test-colab: colab-env
	DIGITLIB_QUICK=1 $(PY) -m pytest tests/test_portability.py -k colab

# The quick suite and the quick notebooks under the oldest versions pyproject.toml allows.
test-oldest: oldest-env
	DIGITLIB_QUICK=1 DIGITLIB_HEADLESS=1 .venv-oldest/bin/python -m pytest \
	    --nbval-lax --nbval-current-env tests notebooks -k "not colab"

lint: install
	$(PY) -m ruff check .

# The notebooks run in quick mode under nbval; the library's own tests set their mode per test.
test: lint
	DIGITLIB_QUICK=1 DIGITLIB_HEADLESS=1 $(PY) -m pytest --nbval-lax --nbval-current-env tests notebooks

demo: install
	$(PY) demo.py $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

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
	$(PY) -m digitlib.cli --model cnn --epochs 16 --average-last 3 --widths 32,64,128 --augment robust --out models/digit_cnn.weights.h5
	$(PY) -m digitlib.calibration --write
	$(PY) -m digitlib.robustness --write

benchmarks: install
	$(PY) benchmarks/train_benchmark.py
	$(PY) benchmarks/inference_benchmark.py
	$(PY) benchmarks/sketchpad_benchmark.py
	$(PY) benchmarks/robustness_benchmark.py

clean:
	rm -rf book/_build book/quick .pytest_cache .ruff_cache .venv-colab .venv-oldest \
	       $(SKETCHPAD)/ort $(SKETCHPAD)/digit_cnn.onnx
