"""Evaluation: how good a model is and where it fails (chapter 5).

What it has learned inside (filters, feature maps, saliency, embeddings) is ``digitlib.interpret``.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from .contract import NUM_CLASSES
from .preprocess import to_model_input


def predict_proba(model: keras.Model, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Probabilities (N, 10) for uint8 or model-ready images."""
    return model.predict(to_model_input(images), batch_size=batch_size, verbose=0)


def confusion_matrix(
    y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = NUM_CLASSES
) -> np.ndarray:
    """Counts: row = true digit, column = predicted digit."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return cm


def per_class_report(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall, F1 and support of each digit, from a confusion matrix."""
    tp = np.diag(cm).astype(float)
    predicted = cm.sum(axis=0)
    support = cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


@dataclass
class Evaluation:
    """A model's answers on a labelled set, and the numbers the chapters report."""

    y_true: np.ndarray
    probabilities: np.ndarray

    @property
    def y_pred(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        return self.probabilities.max(axis=1)

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.y_pred == self.y_true))

    @property
    def confusion(self) -> np.ndarray:
        return confusion_matrix(self.y_true, self.y_pred)

    @property
    def report(self) -> dict[str, np.ndarray]:
        return per_class_report(self.confusion)

    @property
    def per_class_accuracy(self) -> np.ndarray:
        return self.report["recall"]

    def mistakes(self) -> np.ndarray:
        """Indices of the misclassified examples, the most confidently wrong first."""
        wrong = np.flatnonzero(self.y_pred != self.y_true)
        return wrong[np.argsort(-self.confidence[wrong], kind="stable")]


def accuracy_interval(correct: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for an accuracy of ``correct`` in ``total`` (95% for z = 1.96).

    Unlike the normal approximation p ± z·sqrt(p(1-p)/n), it never leaves [0, 1] and stays
    honest near 100%, where a test set with a handful of errors puts a good model.
    """
    if total <= 0 or not 0 <= correct <= total:
        raise ValueError(f"need 0 <= correct <= total and total > 0, got {correct} of {total}")
    p = correct / total
    shrink = 1 + z**2 / total
    centre = (p + z**2 / (2 * total)) / shrink
    half = z / shrink * np.sqrt(p * (1 - p) / total + z**2 / (4 * total**2))
    low = 0.0 if correct == 0 else max(0.0, centre - half)  # exact ends, not rounding's
    high = 1.0 if correct == total else min(1.0, centre + half)
    return float(low), float(high)


def evaluate(model: keras.Model, images: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Run ``model`` over a labelled set."""
    return Evaluation(y_true=np.asarray(labels), probabilities=predict_proba(model, images))
