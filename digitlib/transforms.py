"""Ways to disturb MNIST digits, for testing how robust a model is (chapter 7).

Each takes uint8 images (N, 28, 28) and returns uint8 images of the same shape.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def _each(images: np.ndarray, fn) -> np.ndarray:
    out = np.stack([fn(img.astype(np.float32)) for img in np.asarray(images)])
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def shift(images: np.ndarray, dx: int, dy: int = 0) -> np.ndarray:
    """Move digits ``dx`` pixels right and ``dy`` down; what leaves the frame is lost."""
    return _each(images, lambda im: ndimage.shift(im, (dy, dx), order=0, cval=0.0))


def rotate(images: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate digits about the frame's centre, anticlockwise."""
    return _each(images, lambda im: ndimage.rotate(im, degrees, reshape=False, order=1, cval=0.0))


def thicken(images: np.ndarray, pixels: int = 1) -> np.ndarray:
    """Make strokes thicker by ``pixels`` on every side (grey dilation)."""
    size = 2 * pixels + 1
    return _each(images, lambda im: ndimage.grey_dilation(im, size=(size, size)))


def thin(images: np.ndarray, pixels: int = 1) -> np.ndarray:
    """Make strokes thinner by ``pixels`` on every side (grey erosion)."""
    size = 2 * pixels + 1
    return _each(images, lambda im: ndimage.grey_erosion(im, size=(size, size)))
