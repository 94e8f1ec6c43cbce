"""Every test runs with its own cache folder and without the developer's data settings.

The full MNIST folder (``DIGITLIB_DATA_DIR``, set by ``.ci/run`` when ``../shared`` is there) is
remembered before it is cleared, and handed only to the tests that ask for ``mnist_dir``.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import matplotlib
import pytest

from digitlib import config

# Only this process draws off-screen: an MPLBACKEND variable would reach the notebook kernels and
# the book build too, and their figures would never be rendered into the pages.
matplotlib.use("Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

_MNIST_DIR = os.environ.get("DIGITLIB_DATA_DIR")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory, monkeypatch):
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv("DIGITLIB_DATA_DIR", raising=False)
    monkeypatch.delenv("DIGITLIB_QUICK", raising=False)
    monkeypatch.delenv("DIGITLIB_MNIST_MIRRORS", raising=False)
    return cache


@pytest.fixture
def mnist_dir() -> Path:
    """The full MNIST folder, or a clean skip where there is none."""
    if not _MNIST_DIR or not Path(_MNIST_DIR).is_dir():
        pytest.skip("full MNIST not available: set DIGITLIB_DATA_DIR to run this test")
    return Path(_MNIST_DIR)


@pytest.fixture(scope="module")
def test_digits():
    """500 MNIST test digits from the quick sample, 50 of each."""
    from digitlib import data

    return data.load_quick_sample()[1]


@pytest.fixture
def shipped_card():
    """The model card committed beside the shipped model."""
    from digitlib.saving import ModelCard

    return ModelCard.read(config.shipped_model_path())


@pytest.fixture(scope="module")
def recognizer():
    """The shipped model, loaded once per test module."""
    from digitlib import Recognizer

    return Recognizer.load()


@pytest.fixture(scope="session")
def shipped_onnx(tmp_path_factory) -> Path:
    """The shipped model exported by ``python -m digitlib.export``, once per test run."""
    from digitlib import export

    if not export.supported():
        pytest.skip("Keras < 3.8 cannot export ONNX")
    out = tmp_path_factory.mktemp("onnx") / "digit_cnn.onnx"
    export.main(["--out", str(out)])
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_url(recognizer):
    """The demo app served on a free local port for the duration of a test module."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import demo

    port = free_port()
    blocks = demo.build_demo(recognizer)
    blocks.queue(default_concurrency_limit=2)
    blocks.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        **demo.launch_settings(),
    )
    yield f"http://127.0.0.1:{port}/"
    blocks.close()
