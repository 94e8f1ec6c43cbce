"""How well a model reads disturbed digits, and how well the whole pipeline reads pictures.

``CORRUPTIONS`` names each kind of ``digitlib.transforms`` disturbance at three severities and
``corrupt`` applies one. ``corrupted_sets`` disturbs a labelled set once per kind, its images
spread evenly over the three severities; ``corruption_scores`` is a model's accuracy on each
(model alone, 28x28 input), with the mean over kinds. ``pipeline_scores`` reads pictures through
``Recognizer`` as the demo does: MNIST-form digits (against the model alone on the same digits),
sketchpad drawings, and photos on plain, ruled and squared paper. The benchmark
(``benchmarks/robustness_benchmark.py``) and chapter 7 print these;
``python -m digitlib.robustness --write`` stores a model's scores in its card.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import config, pictures
from . import transforms as T
from .evaluation import predict_proba
from .preprocess import to_mnist


def _signed(values, seed: int, n: int) -> np.ndarray:
    """``values`` with a random sign per image (rotate left or right, shear either way)."""
    return np.where(np.random.default_rng(seed).random(n) < 0.5, -1.0, 1.0) * values


def _random_shift(images, pixels, seed):
    angle = np.random.default_rng(seed).uniform(0, 2 * np.pi, len(images))
    return T.shift(images, np.rint(pixels * np.cos(angle)), np.rint(pixels * np.sin(angle)))


def _random_scale(images, factor, seed):
    n = len(images)
    return T.scale(
        images, np.where(np.random.default_rng(seed).random(n) < 0.5, factor, 1 / factor)
    )


#: (line spacing in pixels, line strength) of ruled and squared paper at severities 1-3.
RULED = ((9, 0.25), (7, 0.35), (6, 0.45))
SQUARED = ((9, 0.25), (7, 0.3), (6, 0.4))


def _either_way(transform):
    """``transform`` by a level turned left or right at random, image by image."""
    return lambda x, level, seed: transform(x, _signed(level, seed, len(x)))


def _lined(paper):
    """A paper transform taking (spacing, strength) as one level, as ``Corruption`` applies it."""
    return lambda x, level, seed: paper(x, level[0], level[1], seed)


@dataclass(frozen=True)
class Corruption:
    """One kind of disturbance at three severities (``levels[0]`` mildest)."""

    name: str
    family: str  # "MNIST-C" or "photo"
    apply: Callable[[np.ndarray, object, int], np.ndarray]  # (images, level, seed) -> images
    levels: tuple
    unit: str  # what a level means, for tables and plots


CORRUPTIONS: dict[str, Corruption] = {
    c.name: c
    for c in [
        Corruption("gaussian noise", "MNIST-C", T.gaussian_noise, (0.1, 0.2, 0.3), "sigma"),
        Corruption("shot noise", "MNIST-C", T.shot_noise, (60, 20, 8), "photons"),
        Corruption("impulse noise", "MNIST-C", T.impulse_noise, (0.02, 0.05, 0.08), "share"),
        Corruption("specks", "MNIST-C", T.specks, (2, 4, 6), "specks"),
        Corruption("blur", "MNIST-C", lambda x, s, _: T.blur(x, s), (0.6, 0.9, 1.2), "sigma px"),
        Corruption(
            "thick strokes", "MNIST-C", lambda x, p, _: T.thicken(x, p), (0.5, 1, 1.5), "px"
        ),
        Corruption("thin strokes", "MNIST-C", lambda x, p, _: T.thin(x, p), (0.5, 0.75, 1), "px"),
        Corruption("shift", "MNIST-C", _random_shift, (2, 3, 4), "px"),
        Corruption("rotation", "MNIST-C", _either_way(T.rotate), (10, 20, 30), "degrees"),
        Corruption("shear", "MNIST-C", _either_way(T.shear), (0.2, 0.35, 0.5), "slope"),
        Corruption("scale", "MNIST-C", _random_scale, (1.15, 1.25, 1.35), "zoom"),
        Corruption("uneven light", "photo", T.uneven_light, (0.2, 0.35, 0.5), "shadow"),
        Corruption(
            "low contrast",
            "photo",
            lambda x, c, _: T.low_contrast(x, c),
            (0.6, 0.45, 0.3),
            "contrast",
        ),
        Corruption(
            "blue ink",
            "photo",
            lambda x, ink, _: T.coloured_ink(x, ink),
            (T.BLUE_INK, T.LIGHT_BLUE_INK, T.FADED_BLUE_INK),
            "RGB",
        ),
        Corruption("ruled paper", "photo", _lined(T.ruled_paper), RULED, "(spacing, line)"),
        Corruption("squared paper", "photo", _lined(T.squared_paper), SQUARED, "(spacing, line)"),
        Corruption("jpeg", "photo", lambda x, q, _: T.jpeg(x, q), (40, 20, 10), "quality"),
        Corruption(
            "slight blur", "photo", lambda x, s, _: T.blur(x, s), (0.4, 0.5, 0.6), "sigma px"
        ),
        Corruption("perspective", "photo", T.perspective, (1.5, 2.5, 3.5), "px"),
    ]
}


def corrupt(images: np.ndarray, kind: str, severity: int | np.ndarray, seed: int = 0) -> np.ndarray:
    """Apply ``CORRUPTIONS[kind]`` at ``severity`` 1-3 (one for all images, or one per image)."""
    if kind not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {kind!r}; choose one of {sorted(CORRUPTIONS)}")
    c = CORRUPTIONS[kind]
    images = np.asarray(images)
    severity = np.broadcast_to(np.asarray(severity), (len(images),))
    if not np.isin(severity, (1, 2, 3)).all():
        raise ValueError(f"severity must be 1, 2 or 3, got {sorted(set(severity.tolist()))}")
    out = np.empty_like(images)
    for s in (1, 2, 3):
        idx = np.flatnonzero(severity == s)
        if len(idx):
            out[idx] = c.apply(images[idx], c.levels[s - 1], seed + 1000 * s)
    return out


def severities(n: int) -> np.ndarray:
    """Severity 1, 2, 3, 1, 2, 3, ... for ``n`` images: each kind tests every level equally."""
    return np.arange(n) % 3 + 1


def corrupted_sets(images: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """``images`` disturbed by every kind in ``CORRUPTIONS``; "clean" first."""
    sets = {"clean": np.asarray(images)}
    for i, kind in enumerate(CORRUPTIONS):
        sets[kind] = corrupt(images, kind, severities(len(images)), seed + i)
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
    "sketchpad drawings": lambda x, seed: pictures.sketchpad_suite(x, seed),
    "photos, plain paper": lambda x, seed: pictures.photo_suite(x, "plain", seed),
    "photos, ruled paper": lambda x, seed: pictures.photo_suite(x, "ruled", seed),
    "photos, squared paper": lambda x, seed: pictures.photo_suite(x, "squared", seed),
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


def main(argv: list[str] | None = None) -> int:
    """Score a saved model on the disturbed MNIST test digits; ``--write`` stores it in its card."""
    from .data import load_mnist
    from .saving import load_with_card

    parser = argparse.ArgumentParser(prog="python -m digitlib.robustness", description=main.__doc__)
    parser.add_argument(
        "--model", type=Path, default=None, help="a .weights.h5 file (default: the shipped model)"
    )
    parser.add_argument(
        "--write", action="store_true", help='store the scores in the model card as "robustness"'
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the disturbances")
    args = parser.parse_args(argv)

    weights = args.model if args.model is not None else config.shipped_model_path()
    network, card = load_with_card(weights)
    _, (x_test, y_test) = load_mnist()
    scores = corruption_scores(network, corrupted_sets(x_test, args.seed), y_test)
    print(f"{len(y_test):,} test digits per kind, disturbed at severities 1-3 in turn:")
    for kind, accuracy in scores.items():
        print(f"  {kind:15s} {accuracy:.4f}")
    lowest = min(CORRUPTIONS, key=scores.get)
    print(f"mean {scores['mean']:.4f}, lowest {lowest} {scores[lowest]:.4f}")
    if args.write:
        card.robustness = {kind: round(accuracy, 4) for kind, accuracy in scores.items()}
        print(f"wrote the robustness scores to {card.write(weights)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
