"""Preprocessing: from MNIST's uint8 images to model input, and from any drawing to MNIST form.

MNIST's digits were made by scanning black ink on white paper, cropping each digit to its ink,
scaling the longer side to 20 pixels (keeping the aspect ratio, with anti-aliasing), and placing
it in a 28x28 frame so that its centre of mass sits in the middle, as white ink on black.
``to_mnist`` does the same to a sketchpad drawing, a photo, a scan or an array, so the network
sees what it was trained on: ``digitlib.ink`` finds the ink in any of them, and this module
brings the ink to MNIST form. Chapters 2 and 6 show each step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from .contract import PIXEL_MAX, SIDE
from .ink import (  # noqa: F401  (ImageError, ink_map and open_image are part of this API)
    MIN_INK_FRACTION,
    ImageError,
    as_unit_float,
    ink_map,
    open_image,
)

BOX = 20  # the longer side of the digit inside the frame
FRAME = SIDE


def to_model_input(images: np.ndarray) -> np.ndarray:
    """Scale uint8 images (N, 28, 28) to float32 in [0, 1] with a channel axis: (N, 28, 28, 1)."""
    images = np.asarray(images)
    if images.ndim == 2:
        images = images[None]
    if images.ndim == 3:
        images = images[..., None]
    if images.dtype == np.uint8:
        return images.astype(np.float32) / PIXEL_MAX
    return images.astype(np.float32, copy=False)


# ---------------------------------------------------------------------------------------------
# An ink map to MNIST form


@dataclass(frozen=True)
class Box:
    """An ink bounding box in pixel coordinates, end-exclusive."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left


def has_ink(ink: np.ndarray) -> bool:
    """Is there enough ink to be a digit?"""
    return bool((ink > 0.2).sum() >= max(4, MIN_INK_FRACTION * ink.size))


def ink_box(ink: np.ndarray, level: float = 0.05) -> Box | None:
    """The bounding box of the ink, or None when there is none."""
    rows = np.flatnonzero((ink > level).any(axis=1))
    cols = np.flatnonzero((ink > level).any(axis=0))
    if len(rows) == 0:
        return None
    return Box(int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)


def center_of_mass(image: np.ndarray) -> tuple[float, float]:
    """The (row, column) centre of mass of an image's intensity."""
    total = float(image.sum())
    if total <= 0:
        return ((image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2)
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def fit_to_box(ink: np.ndarray, box: int = BOX) -> np.ndarray:
    """Crop to the ink and scale the longer side to ``box`` pixels, keeping the aspect ratio."""
    b = ink_box(ink)
    if b is None:
        return np.zeros((box, box), np.float32)
    crop = ink[b.top : b.bottom, b.left : b.right]
    scale = box / max(b.height, b.width)
    size = (max(1, round(b.width * scale)), max(1, round(b.height * scale)))  # PIL: (w, h)
    resized = Image.fromarray(crop.astype(np.float32), mode="F").resize(
        size, Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BILINEAR
    )
    out = np.clip(np.asarray(resized), 0.0, None)
    peak = float(out.max())
    return out / peak if peak > 0 else out


def center_in_frame(digit: np.ndarray, frame: int = FRAME) -> np.ndarray:
    """Place ``digit`` in a ``frame`` x ``frame`` square with its centre of mass in the middle."""
    h, w = digit.shape
    cy, cx = center_of_mass(digit)
    middle = (frame - 1) / 2
    top = int(round(middle - cy))
    left = int(round(middle - cx))
    # As in MNIST, the centre of mass wins: a lopsided digit (a 7 with a heavy bar) may lose
    # the tip of a stroke past the frame's edge rather than sit off-centre. A margin as large
    # as the digit lets any shift be written before the frame is cut out.
    pad = max(h, w)
    canvas = np.zeros((frame + 2 * pad, frame + 2 * pad), np.float32)
    canvas[pad + top : pad + top + h, pad + left : pad + left + w] = digit
    return canvas[pad : pad + frame, pad : pad + frame]


def to_mnist(image: Any) -> np.ndarray | None:
    """Bring any image to MNIST form: float32 (28, 28) in [0, 1], white ink on black.

    An image already in MNIST form (``mnist_form``) is only scaled to [0, 1]: cropping and
    resampling it again would lose detail. Returns None when there is no ink to read (an empty
    sketchpad, a blank page).
    """
    ready = mnist_form(image)
    if ready is not None:
        return ready if has_ink(ready) else None
    return ink_to_mnist(ink_map(image))


#: How far (pixels) the centre of mass of an MNIST-form digit may be from the frame's middle
#: (MNIST's own are all within 1), and the range of its ink's longer side (MNIST's: 19-20).
MNIST_FORM_CENTRE = 1.5
MNIST_FORM_SIDE = (17, 22)


def mnist_form(image: Any) -> np.ndarray | None:
    """``image`` as float32 (28, 28) in [0, 1] if it is already in MNIST form, else None.

    MNIST form: a 28x28 grey array (or PIL image), light ink on a dark border, the ink's longer
    side about 20 pixels and its centre of mass within 1.5 pixels of the middle.
    """
    if isinstance(image, Image.Image) and image.size == (FRAME, FRAME) and image.mode in "LF":
        image = np.asarray(image)
    if not isinstance(image, np.ndarray) or image.dtype.kind not in "uifb":
        return None
    arr = image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image
    if arr.shape != (FRAME, FRAME):
        return None
    x = as_unit_float(arr)
    ring = np.concatenate([x[:2].ravel(), x[-2:].ravel(), x[:, :2].ravel(), x[:, -2:].ravel()])
    if x.max() <= 0 or ring.mean() > 0.08:
        return x if x.max() <= 0 else None  # empty, or dark ink on light paper
    box = ink_box(x, level=0.05 * float(x.max()))
    cy, cx = center_of_mass(x)
    low, high = MNIST_FORM_SIDE
    centred = max(abs(cy - 13.5), abs(cx - 13.5)) <= MNIST_FORM_CENTRE
    return x if centred and low <= max(box.height, box.width) <= high else None


def ink_to_mnist(ink: np.ndarray) -> np.ndarray | None:
    """The MNIST steps on an ink map: crop, scale to 20 pixels, centre by mass in 28x28."""
    if not has_ink(ink):
        return None
    return center_in_frame(fit_to_box(ink))
