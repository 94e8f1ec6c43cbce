"""digitlib: the library behind the digits book."""

from .data import load_mnist

__all__ = ["load_mnist"]
__version__ = "0.1.0"
