"""Reading digits: from a drawing, photo or array to the network's answer (chapter 6).

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

from . import saving
from .calibration import apply_temperature
from .contract import INPUT_SHAPE, NUM_CLASSES, SIDE
from .preprocess import Box, ink_map, ink_to_mnist, to_mnist
from .saving import ModelLoadError, ModelNotFoundError
from .segment import isolate, segment_digits

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
    return Prediction(None, np.zeros(NUM_CLASSES, np.float32), np.zeros((SIDE, SIDE), np.float32))


class Recognizer:
    """A trained model with the preprocessing that brings any image to MNIST form.

    ``temperature`` calibrates the probabilities it returns (``digitlib.calibration``): they are
    the network's scores divided by it, then softmaxed; 1.0 leaves them as the network gives them.
    """

    def __init__(self, model, temperature: float = 1.0):
        import tensorflow as tf

        if not temperature > 0:
            raise ValueError(f"temperature must be positive, not {temperature}")
        self.model = model
        self.temperature = float(temperature)
        # One compiled graph for every batch size: far cheaper per call than model.predict.
        self._forward = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec((None, *INPUT_SHAPE), tf.float32)],
            reduce_retracing=True,
        )
        self._forward(tf.zeros((1, *INPUT_SHAPE)))  # trace now, not on the first user's stroke

    @classmethod
    def load(cls, path: Path | str | None = None) -> Recognizer:
        """Load a saved model (default: the shipped ``models/digit_cnn.weights.h5``).

        Raises ``ModelNotFoundError`` or ``ModelLoadError`` with a one-line message.
        """
        model, card = saving.load_with_card(path)
        return cls(model, card.temperature)

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        """Probabilities (N, 10) for MNIST-form images (N, 28, 28) in [0, 1]."""
        x = np.asarray(batch, np.float32).reshape(-1, *INPUT_SHAPE)
        probs = self._forward(x).numpy()
        if self.temperature == 1.0:
            return probs
        return apply_temperature(probs, self.temperature).astype(np.float32)

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
        crops = [isolate(ink, b) for b in boxes]
        inputs = [ink_to_mnist(c) for c in crops]
        kept = [(b, x) for b, x in zip(boxes, inputs, strict=True) if x is not None]
        if not kept:
            return NumberReading("")
        probs = self.probabilities(np.stack([x for _, x in kept]))
        preds = [Prediction(int(np.argmax(p)), p, x) for p, (_, x) in zip(probs, kept, strict=True)]
        return NumberReading("".join(str(p.digit) for p in preds), preds, [b for b, _ in kept])
