"""Settings shared by the whole library: quick mode, folders, the repository, seeding."""

from __future__ import annotations

import os
from pathlib import Path

#: Where the project lives; the notebooks' Colab set-up installs digitlib from here.
REPOSITORY = "digits-book/digits"
REPOSITORY_URL = f"https://github.com/{REPOSITORY}"
#: Where .github/workflows/book.yml publishes the book: the repository's GitHub Pages site.
BOOK_URL = "https://{}.github.io/{}/".format(*REPOSITORY.split("/"))

#: The seed every chapter, test and training run starts from.
SEED = 42

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


def env_flag(name: str) -> bool:
    """Is the environment variable ``name`` set to 1, true, yes or on (in any case)?"""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def is_quick(quick: bool | None = None) -> bool:
    """Quick mode: an explicit ``quick`` wins, else ``DIGITLIB_QUICK=1`` in the environment."""
    return bool(quick) if quick is not None else env_flag("DIGITLIB_QUICK")


def is_interactive() -> bool:
    """Is a person running this? False in quick mode (tests) and in headless builds.

    The book build sets ``DIGITLIB_HEADLESS=1``: nothing there could use a live demo.
    """
    return not (env_flag("DIGITLIB_HEADLESS") or is_quick())


def cache_dir() -> Path:
    """The per-user cache folder (``$XDG_CACHE_HOME/digitlib`` or ``~/.cache/digitlib``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "digitlib"


def shipped_model_path() -> Path:
    """The weights of the trained model that ships with the repository (its card is beside them)."""
    return PROJECT_DIR / "models" / "digit_cnn.weights.h5"


def output_dir(name: str = "models", quick: bool | None = None) -> Path:
    """Where a notebook or script may write: the cache in quick mode, the repository otherwise.

    Quick mode is for tests, and tests never write into the repository. Chapters write to
    ``runs`` (ignored by git); ``models`` is for the command that retrains the shipped model.
    """
    if is_quick(quick):
        path = cache_dir() / "quick" / name
    else:
        path = PROJECT_DIR / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def setup_notebook(seed: int = SEED) -> bool:
    """What every chapter's set-up cell does: quiet TensorFlow, seed everything, say the mode.

    Returns True in quick mode. Called before TensorFlow is imported, so its start-up chatter
    (C++ log lines) is off for the whole session.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    set_seed(seed)
    quick = is_quick()
    print("quick mode (small sample)" if quick else "full mode (all of MNIST)")
    return quick


def set_seed(seed: int = SEED) -> None:
    """Seed Python's ``random``, NumPy and TensorFlow/Keras, so two runs tell the same story."""
    import keras  # late: the data layer must not pay for TensorFlow's import

    keras.utils.set_random_seed(seed)
