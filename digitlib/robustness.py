"""How well a model reads disturbed digits, and how well the whole pipeline reads pictures.

``corrupted_sets`` disturbs a labelled set once per kind in ``transforms.CORRUPTIONS``, its images
spread evenly over the three severities; ``corruption_scores`` is a model's accuracy on each
(model alone, 28x28 input), with the mean over kinds. ``pipeline_scores`` reads pictures through
``Recognizer`` as the demo does: MNIST-form digits (against the model alone on the same digits),
sketchpad drawings, and photos on plain, ruled and squared paper. The benchmark
(``benchmarks/robustness_benchmark.py``) and chapter 7 print these.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import transforms
from .evaluation import predict_proba
from .preprocess import to_mnist


def severities(n: int) -> np.ndarray:
    """Severity 1, 2, 3, 1, 2, 3, ... for ``n`` images: each kind tests every level equally."""
    return np.arange(n) % 3 + 1


def corrupted_sets(images: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """``images`` disturbed by every kind in ``transforms.CORRUPTIONS``; "clean" first."""
    sets = {"clean": np.asarray(images)}
    for i, kind in enumerate(transforms.CORRUPTIONS):
        sets[kind] = transforms.corrupt(images, kind, severities(len(images)), seed + i)
    return sets


def corruption_scores(model, sets: dict[str, np.ndarray], labels: np.ndarray) -> dict[str, float]:
    """Accuracy on each set of ``corrupted_sets``, plus "mean" over the disturbed ones."""
    scores = {
        name: float((predict_proba(model, images).argmax(axis=1) == labels).mean())
        for name, images in sets.items()
    }
    kinds = [k for k in scores if k != "clean"]
    scores["mean"] = float(np.mean([scores[k] for k in kinds])) if kinds else float("nan")
    return scores


def read_all(recognizer, pictures) -> np.ndarray:
    """The digit ``recognizer.predict`` would answer for each picture (-1 for no ink), batched."""
    inputs = [to_mnist(p) for p in pictures]
    found = [i for i, x in enumerate(inputs) if x is not None]
    answers = np.full(len(inputs), -1)
    if found:
        probs = recognizer.probabilities(np.stack([inputs[i] for i in found]))
        answers[found] = probs.argmax(axis=1)
    return answers


#: The pipeline's test suites: name -> how to make its pictures from MNIST digits and a seed.
SUITES: dict[str, Callable[[np.ndarray, int], list]] = {
    "sketchpad drawings": lambda x, seed: transforms.sketchpad_suite(x, seed),
    "photos, plain paper": lambda x, seed: transforms.photo_suite(x, "plain", seed),
    "photos, ruled paper": lambda x, seed: transforms.photo_suite(x, "ruled", seed),
    "photos, squared paper": lambda x, seed: transforms.photo_suite(x, "squared", seed),
}


def pipeline_scores(
    recognizer, images: np.ndarray, labels: np.ndarray, photos: int, seed: int = 0
) -> dict[str, float]:
    """Accuracy through the whole ``Recognizer``, next to the model alone.

    MNIST-form: all of ``images`` as they are, through ``to_mnist`` (which passes them through)
    and straight to the model. The suites use the first ``photos`` digits, rendered at random
    size and place.
    """
    alone = recognizer.probabilities(np.asarray(images, np.float32) / 255.0).argmax(axis=1)
    scores = {
        "MNIST-form digits, model alone": float((alone == labels).mean()),
        "MNIST-form digits, Recognizer": float((read_all(recognizer, images) == labels).mean()),
    }
    x, y = images[:photos], labels[:photos]
    for name, make in SUITES.items():
        scores[name] = float((read_all(recognizer, make(x, seed)) == y).mean())
    return scores
