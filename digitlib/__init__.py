"""digitlib: the library behind the digits book.

Modules, in the order the chapters use them: ``data`` (MNIST), ``preprocess`` (scaling and
drawing-to-MNIST), ``models``, ``training``, ``evaluation``, ``plots``, ``inference``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .data import load_mnist

if TYPE_CHECKING:
    from .inference import Prediction, Recognizer

__all__ = ["Prediction", "Recognizer", "load_mnist"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # Recognizer needs TensorFlow; import it only when asked, so `import digitlib` stays light.
    if name in ("Recognizer", "Prediction"):
        from . import inference

        return getattr(inference, name)
    raise AttributeError(f"module 'digitlib' has no attribute {name!r}")
