"""Every test runs with its own cache folder and without the developer's data settings.

The full MNIST folder (``DIGITLIB_DATA_DIR``, set by ``.ci/run`` when ``../shared`` is there) is
remembered before it is cleared, and handed only to the tests that ask for ``mnist_dir``.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

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
