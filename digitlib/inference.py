"""Reading digits: from a drawing, photo or array to the network's answer.

from digitlib import Recognizer
r = Recognizer.load()            # the shipped model
p = r.predict(image)             # p.digit, p.probabilities, p.input_28x28
r.read_number(image).text        # "2026"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from . import saving
from .preprocess import Box, ink_map, ink_to_mnist, to_mnist
from .saving import ModelLoadError, ModelNotFoundError

__all__ = ["ModelLoadError", "ModelNotFoundError", "NumberReading", "Prediction", "Recognizer"]


@dataclass
class Prediction:
    """The network's answer for one image.

    ``digit`` is None when there was nothing to read (then ``probabilities`` are all zero).
    """

    digit: int | None
    probabilities: np.ndarray  # (10,) summing to 1
    input_28x28: np.ndarray  # what the model saw: float32 (28, 28) in [0, 1], white on black

    @property
    def confidence(self) -> float:
        return float(self.probabilities.max()) if self.digit is not None else 0.0

    def top(self, k: int = 3) -> dict[str, float]:
        """The ``k`` likeliest digits with their probabilities, e.g. for ``gr.Label``."""
        order = np.argsort(-self.probabilities)[:k]
        return {str(int(d)): float(self.probabilities[d]) for d in order}


@dataclass
class NumberReading:
    """A number read digit by digit, left to right."""

    text: str
    digits: list[Prediction] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)


def _empty() -> Prediction:
    return Prediction(None, np.zeros(10, np.float32), np.zeros((28, 28), np.float32))


class Recognizer:
    """A trained model with the preprocessing that brings any image to MNIST form."""

    def __init__(self, model):
        import tensorflow as tf

        self.model = model
        # One compiled graph for every batch size: far cheaper per call than model.predict.
        self._forward = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec((None, 28, 28, 1), tf.float32)],
            reduce_retracing=True,
        )
        self._forward(tf.zeros((1, 28, 28, 1)))  # trace now, not on the first user's stroke

    @classmethod
    def load(cls, path: Path | str | None = None) -> Recognizer:
        """Load a saved model (default: the shipped ``models/digit_cnn.weights.h5``).

        Raises ``ModelNotFoundError`` or ``ModelLoadError`` with a one-line message.
        """
        return cls(saving.load(path))

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """Probabilities (N, 10) for MNIST-form images (N, 28, 28) in [0, 1]."""
        x = np.asarray(batch, np.float32).reshape(-1, 28, 28, 1)
        return self._forward(x).numpy()

    def predict(self, image: Any) -> Prediction:
        """Read one digit from any image ``ink_map`` accepts (MNIST-form input as it is)."""
        x = to_mnist(image)
        if x is None:
            return _empty()
        probs = self.probabilities(x[None])[0]
        return Prediction(int(np.argmax(probs)), probs, x)

    def read_number(self, image: Any) -> NumberReading:
        """Read a number of one or more digits, written left to right."""
        ink = ink_map(image)
        boxes = segment_digits(ink)
        if not boxes:
            return NumberReading("")
        crops = [_isolate(ink, b) for b in boxes]
        inputs = [ink_to_mnist(c) for c in crops]
        kept = [(b, x) for b, x in zip(boxes, inputs, strict=True) if x is not None]
        if not kept:
            return NumberReading("")
        probs = self.probabilities(np.stack([x for _, x in kept]))
        preds = [Prediction(int(np.argmax(p)), p, x) for p, (_, x) in zip(probs, kept, strict=True)]
        return NumberReading("".join(str(p.digit) for p in preds), preds, [b for b, _ in kept])


# ---------------------------------------------------------------------------------------------
# Segmentation: one ink map to one box per digit


def _isolate(ink: np.ndarray, box: Box) -> np.ndarray:
    return ink[box.top : box.bottom, box.left : box.right]


def segment_digits(ink: np.ndarray, level: float = 0.2) -> list[Box]:
    """Boxes around the digits in ``ink``, left to right.

    Connected components of the ink; specks are dropped, pieces stacked above one another (the
    bar of a 5, a broken 4) are joined, and a component much wider than a digit (touching
    strokes) is cut where the ink is thinnest.
    """
    mask = ink > level
    if not mask.any():
        return []
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    slices = ndimage.find_objects(labels)
    sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, count + 1))
    keep = sizes >= max(4, 0.05 * sizes.max())
    boxes = [
        Box(s[0].start, s[1].start, s[0].stop, s[1].stop)
        for s, k in zip(slices, keep, strict=True)
        if k
    ]
    boxes = _merge_stacked(sorted(boxes, key=lambda b: b.left))
    height = max(b.height for b in boxes)
    out: list[Box] = []
    for b in boxes:
        out.extend(_split_wide(mask, b, height))
    return out


def _merge_stacked(boxes: list[Box]) -> list[Box]:
    merged: list[Box] = []
    for b in boxes:
        if merged:
            m = merged[-1]
            overlap = min(m.right, b.right) - max(m.left, b.left)
            if overlap > 0.5 * min(m.width, b.width):
                merged[-1] = Box(
                    min(m.top, b.top),
                    min(m.left, b.left),
                    max(m.bottom, b.bottom),
                    max(m.right, b.right),
                )
                continue
        merged.append(b)
    return merged


def _split_wide(mask: np.ndarray, b: Box, height: int) -> list[Box]:
    """Cut a box holding touching digits where its columns have the least ink."""
    digit_width = 0.8 * max(b.height, 0.6 * height)
    parts = int(round(b.width / digit_width))
    if parts <= 1:
        return [b]
    profile = mask[b.top : b.bottom, b.left : b.right].sum(axis=0).astype(float)
    cuts = [0]
    for i in range(1, parts):
        guess = int(b.width * i / parts)
        window = max(1, b.width // (3 * parts))
        lo, hi = max(cuts[-1] + 1, guess - window), min(b.width - 1, guess + window)
        cuts.append(lo + int(np.argmin(profile[lo : hi + 1])) if hi >= lo else guess)
    cuts.append(b.width)
    out = []
    for left, right in zip(cuts[:-1], cuts[1:], strict=True):
        piece = mask[b.top : b.bottom, b.left + left : b.left + right]
        rows = np.flatnonzero(piece.any(axis=1))
        if len(rows):
            out.append(
                Box(b.top + int(rows[0]), b.left + left, b.top + int(rows[-1]) + 1, b.left + right)
            )
    return out
