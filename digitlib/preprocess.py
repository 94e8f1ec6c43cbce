"""Preprocessing: from MNIST's uint8 images to model input, and from any drawing to MNIST form."""

from __future__ import annotations

import numpy as np


def to_model_input(images: np.ndarray) -> np.ndarray:
    """Scale uint8 images (N, 28, 28) to float32 in [0, 1] with a channel axis: (N, 28, 28, 1)."""
    images = np.asarray(images)
    if images.ndim == 2:
        images = images[None]
    if images.ndim == 3:
        images = images[..., None]
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    return images.astype(np.float32, copy=False)
