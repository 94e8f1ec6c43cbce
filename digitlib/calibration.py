"""Calibration: does "90% sure" mean right nine times in ten?

A model is *calibrated* when, among the answers it gives with confidence about c, a share of
about c is right. The reliability table bins answers by confidence and compares each bin's mean
confidence with its accuracy; the *expected calibration error* (ECE) is the gap, weighted by how
many answers fall in each bin. *Temperature scaling* fixes a systematic gap with one number T,
fitted on validation data: the probabilities become softmax(log p / T), which is softmax(z / T)
for the network's scores z. T > 1 softens over-confident answers, T < 1 sharpens timid ones (as
label smoothing makes them); the predicted digit never changes.

    python -m digitlib.calibration          # fit T for the shipped model on its validation split
    python -m digitlib.calibration --write  # ... and store it in the model card ("temperature")
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import config

#: Below this calibrated confidence the demo says it is not sure instead of naming a digit, since
#: the model then expects to be wrong at least as often as right (chapter 5 measures how often).
UNSURE_BELOW = 0.5

#: Bins of the reliability table and the ECE, 15 equal widths as in Guo et al. (2017).
BINS = 15


@dataclass
class Reliability:
    """Answers binned by confidence: per bin its edges, count, mean confidence and accuracy.

    Empty bins have a count of 0 and NaN confidence and accuracy.
    """

    edges: np.ndarray  # (bins + 1,)
    count: np.ndarray  # (bins,)
    confidence: np.ndarray  # (bins,)
    accuracy: np.ndarray  # (bins,)

    @property
    def ece(self) -> float:
        """The expected calibration error, summed over bins as share of answers times gap.

        The gap is the distance between a bin's accuracy and its mean confidence.
        """
        full = self.count > 0
        share = self.count[full] / self.count.sum()
        return float(np.sum(share * np.abs(self.accuracy[full] - self.confidence[full])))


def _check(probabilities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probabilities, np.float64)
    y = np.asarray(labels)
    if p.ndim != 2 or len(p) != len(y) or len(y) == 0:
        raise ValueError(
            f"need probabilities (N, classes) and N labels, N > 0; got {p.shape} and {y.shape}"
        )
    return p, y


def reliability(probabilities: np.ndarray, labels: np.ndarray, bins: int = BINS) -> Reliability:
    """Bin the answers by confidence (the top probability) into ``bins`` equal widths."""
    p, y = _check(probabilities, labels)
    confidence = p.max(axis=1)
    right = (p.argmax(axis=1) == y).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    # Bin b holds (edges[b], edges[b + 1]]; a confidence of exactly 0 cannot happen for a softmax.
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, confidence, minlength=bins) / count
        accuracy = np.bincount(which, right, minlength=bins) / count
    return Reliability(edges, count, mean_conf, accuracy)


def expected_calibration_error(
    probabilities: np.ndarray, labels: np.ndarray, bins: int = BINS
) -> float:
    """ECE: how far, on average over answers, confidence is from accuracy (0 is calibrated)."""
    return reliability(probabilities, labels, bins).ece


def negative_log_likelihood(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Mean cross-entropy of the true labels: -mean(log p[true digit])."""
    p, y = _check(probabilities, labels)
    picked = p[np.arange(len(y)), y]
    return float(-np.mean(np.log(np.maximum(picked, np.finfo(np.float64).tiny))))


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log p / T): the probabilities a network's scores divided by T would give."""
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, not {temperature}")
    p = np.asarray(probabilities, np.float64)
    logits = np.log(np.maximum(p, np.finfo(np.float64).tiny)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=-1, keepdims=True)


def with_temperature(model, temperature: float):
    """``model`` and its calibration as one Keras model, for a runtime with no ``digitlib``
    (the ONNX export the book's Try it page runs): the same numbers as ``apply_temperature``."""
    import keras

    if temperature == 1.0:
        return model
    inputs = keras.Input(model.input_shape[1:])
    p = model(inputs)
    logits = keras.ops.log(keras.ops.maximum(p, 1e-30)) / temperature
    return keras.Model(inputs, keras.ops.softmax(logits), name=f"{model.name}_calibrated")


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The T in [0.05, 20] that minimises the negative log-likelihood of ``labels``.

    Fit it on validation data, never on the test set it will be judged on.
    """
    from scipy.optimize import minimize_scalar

    p, y = _check(probabilities, labels)
    found = minimize_scalar(
        lambda log_t: negative_log_likelihood(apply_temperature(p, np.exp(log_t)), y),
        bounds=(np.log(0.05), np.log(20.0)),
        method="bounded",
        options={"xatol": 1e-5},
    )
    return float(np.exp(found.x))


def main(argv: list[str] | None = None) -> int:
    """Fit the shipped model's temperature on its validation split; report ECE before and after."""
    from .data import load_mnist, train_val_split
    from .saving import load_with_card

    parser = argparse.ArgumentParser(
        prog="python -m digitlib.calibration", description=main.__doc__
    )
    parser.add_argument(
        "--model", type=Path, default=None, help="a .weights.h5 file (default: the shipped model)"
    )
    parser.add_argument(
        "--write", action="store_true", help='store T in the model card as "temperature"'
    )
    parser.add_argument("--seed", type=int, default=config.SEED, help="the split's seed")
    args = parser.parse_args(argv)

    from .evaluation import predict_proba

    weights = args.model if args.model is not None else config.shipped_model_path()
    network, card = load_with_card(weights)  # the network's own probabilities (T = 1)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    # The validation split the shipped model was trained beside (train()'s default fraction).
    _, (x_val, y_val) = train_val_split(x_train, y_train, 0.1, args.seed)
    p_val = predict_proba(network, x_val)
    p_test = predict_proba(network, x_test)
    temperature = fit_temperature(p_val, y_val)
    print(f"temperature fitted on {len(y_val):,} validation images: {temperature:.4f}")
    for name, p, y in (("validation", p_val, y_val), ("test", p_test, y_test)):
        before = expected_calibration_error(p, y)
        after = expected_calibration_error(apply_temperature(p, temperature), y)
        print(
            f"{name:10s} ECE {before:.4f} -> {after:.4f}  (NLL "
            f"{negative_log_likelihood(p, y):.4f} -> "
            f"{negative_log_likelihood(apply_temperature(p, temperature), y):.4f})"
        )
    if args.write:
        card.temperature = round(temperature, 4)
        path = card.write(weights)
        print(f"wrote temperature {card.temperature} to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
