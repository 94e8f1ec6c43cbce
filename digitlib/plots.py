"""The book's figures. Each function returns a matplotlib Figure with a title and labelled axes.

Every figure uses matplotlib's constrained layout, which makes room for the figure title, the
shared axis labels and colour bars as well as each panel's own title, so no two texts overlap
(``tests/test_plots.py`` checks this for every function here).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .contract import NUM_CLASSES, PIXEL_MAX, SIDE

DIGITS = list(range(NUM_CLASSES))


def _image_axes(ax, title: str | None = None) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=9)


def _label_grid(fig: Figure, title: str, xlabel: str, ylabel: str) -> Figure:
    fig.suptitle(title)
    fig.supxlabel(xlabel, fontsize=10)
    fig.supylabel(ylabel, fontsize=10)
    return fig


#: The narrowest a figure is drawn, in inches, so that a title fits above one or two images.
MIN_WIDTH = 5.5


def _grid(rows: int, cols: int, cell_width: float = 1.1, cell_height: float = 1.3):
    """A grid of small image panels, at least ``MIN_WIDTH`` wide, with room for its labels."""
    size = (max(cols * cell_width + 0.6, MIN_WIDTH), rows * cell_height + 1.5)
    return plt.subplots(rows, cols, figsize=size, squeeze=False, layout="constrained")


def plot_digits(
    images: np.ndarray,
    labels: Sequence[str] | Sequence[int] | None = None,
    title: str = "MNIST digits",
    cols: int = 10,
) -> Figure:
    """A grid of 28x28 images, each captioned with its label."""
    images = np.asarray(images).reshape(len(images), SIDE, SIDE)
    cols = max(1, min(cols, len(images)))
    rows = int(np.ceil(len(images) / cols))
    fig, axes = _grid(rows, cols)
    for i, ax in enumerate(axes.flat):
        if i < len(images):
            ax.imshow(images[i], cmap="gray_r")
            _image_axes(ax, None if labels is None else str(labels[i]))
        else:
            ax.axis("off")
    return _label_grid(fig, title, f"image ({SIDE} pixels wide)", f"image ({SIDE} pixels high)")


def plot_image(image: np.ndarray, title: str, cmap: str = "gray_r") -> Figure:
    """One image, large, with pixel axes."""
    fig, ax = plt.subplots(figsize=(5.2, 4.4), layout="constrained")
    im = ax.imshow(np.squeeze(image), cmap=cmap)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_title(title)
    ax.set_xlabel("x (pixels)")
    ax.set_ylabel("y (pixels)")
    return fig


def plot_class_balance(y_train: np.ndarray, y_test: np.ndarray) -> Figure:
    """How many examples of each digit the training and test sets hold."""
    fig, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
    width = 0.4
    counts = [np.bincount(y, minlength=NUM_CLASSES) for y in (y_train, y_test)]
    ax.bar(np.arange(NUM_CLASSES) - width / 2, counts[0], width, label="train")
    ax.bar(np.arange(NUM_CLASSES) + width / 2, counts[1], width, label="test")
    ax.set_xticks(DIGITS)
    ax.set_title("Examples of each digit")
    ax.set_xlabel("digit")
    ax.set_ylabel("number of images")
    ax.legend()
    return fig


def plot_pixel_histogram(images: np.ndarray) -> Figure:
    """The distribution of pixel values: mostly paper, some ink, little in between."""
    fig, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
    ax.hist(np.asarray(images).ravel(), bins=64, log=True, color="tab:gray")
    ax.set_title("Pixel values over all images")
    ax.set_xlabel(f"pixel value (0 = paper, {PIXEL_MAX:.0f} = ink)")
    ax.set_ylabel("number of pixels (log scale)")
    return fig


def plot_mean_digits(images: np.ndarray, labels: np.ndarray) -> Figure:
    """The average image of each digit."""
    means = np.stack([images[labels == d].mean(axis=0) for d in DIGITS])
    return plot_digits(
        means, [f"mean {d}" for d in DIGITS], title="The average digit of each class"
    )


def plot_training_curves(
    history: dict[str, list[float]], title: str = "Learning curves", xlabel: str = "epoch"
) -> Figure:
    """Loss and accuracy per epoch (or per ``xlabel``), training against validation."""
    steps = np.arange(1, len(history["loss"]) + 1)
    style = "-" if len(steps) > 30 else "o-"  # markers only where they can be told apart
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        ax.plot(steps, history[key], style, label="training")
        if f"val_{key}" in history:
            ax.plot(steps, history[f"val_{key}"], style.replace("o", "s"), label="validation")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(key)
        ax.set_title(f"{key.capitalize()} per {xlabel}")
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    return fig


def plot_learning_rate(history: dict[str, list[float]]) -> Figure:
    """The learning rate each epoch ended with."""
    fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
    ax.plot(np.arange(1, len(history["learning_rate"]) + 1), history["learning_rate"], "o-")
    ax.set_title("Learning-rate schedule (one cycle)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate at end of epoch")
    ax.grid(alpha=0.3)
    return fig


def plot_confusion_matrix(cm: np.ndarray, mode: str = "counts") -> Figure:
    """The confusion matrix as a seaborn heatmap.

    ``mode``: ``counts`` (raw), ``normalised`` (each row sums to 1: recall on the diagonal) or
    ``errors`` (counts with the diagonal blanked, so the mistakes stand out).
    """
    import seaborn as sns

    cm = np.asarray(cm)
    if mode == "counts":
        data, fmt, title = cm, "d", "Confusion matrix (counts)"
    elif mode == "normalised":
        data = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        fmt, title = ".3f", "Confusion matrix (each row sums to 1)"
    elif mode == "errors":
        data = np.where(np.eye(len(cm), dtype=bool), np.nan, cm)
        fmt, title = ".0f", "Mistakes only (diagonal hidden)"
    else:
        raise ValueError(f"mode must be counts, normalised or errors, got {mode!r}")
    fig, ax = plt.subplots(figsize=(7.5, 6.2), layout="constrained")
    sns.heatmap(
        data,
        annot=True,
        fmt=fmt,
        cmap="Blues",
        square=True,
        cbar=True,
        ax=ax,
        annot_kws={"fontsize": 8},
        xticklabels=DIGITS,
        yticklabels=DIGITS,
    )
    ax.set_title(title)
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    return fig


def plot_per_class_report(report: dict[str, np.ndarray]) -> Figure:
    """Precision, recall and F1 of each digit, side by side."""
    fig, ax = plt.subplots(figsize=(9, 3.6), layout="constrained")
    width = 0.27
    for i, key in enumerate(("precision", "recall", "f1")):
        ax.bar(np.arange(NUM_CLASSES) + (i - 1) * width, report[key], width, label=key)
    low = min(float(np.min([report[k] for k in ("precision", "recall", "f1")])), 0.98)
    ax.set_ylim(max(0.0, low - 0.01), 1.0)
    ax.set_xticks(DIGITS)
    ax.set_title("Per-class precision, recall and F1")
    ax.set_xlabel("digit")
    ax.set_ylabel("score")
    ax.legend(ncols=3, loc="lower right")
    return fig


def plot_mistakes(
    images: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    confidence: np.ndarray,
    indices: Sequence[int],
    cols: int = 8,
) -> Figure:
    """A gallery of misclassified digits, captioned ``true → predicted (confidence)``."""
    indices = list(indices)
    captions = [f"{y_true[i]}→{y_pred[i]} ({confidence[i]:.0%})" for i in indices]
    fig = plot_digits(
        np.asarray(images)[indices],
        captions,
        title="Misclassified digits, most confident first (true→predicted)",
        cols=cols,
    )
    return fig


def plot_probabilities(
    probabilities: np.ndarray, title: str = "What the network believes"
) -> Figure:
    """A bar per digit: the model's probability for each."""
    fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
    ax.bar(DIGITS, probabilities, color="tab:blue")
    ax.set_xticks(DIGITS)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.set_xlabel("digit")
    ax.set_ylabel("probability")
    return fig


def plot_reliability(
    probabilities: np.ndarray | dict[str, np.ndarray],
    labels: np.ndarray,
    title: str = "Reliability diagram",
    bins: int | None = None,
) -> Figure:
    """Accuracy against confidence, bin by bin, beside how many answers fall in each bin.

    ``probabilities`` is one (N, 10) array or a dict of them by name (e.g. before and after
    temperature scaling); points on the diagonal are calibrated.
    """
    from .calibration import BINS, reliability

    sets = probabilities if isinstance(probabilities, dict) else {"model": probabilities}
    fig, (ax, ax_n) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="calibrated")
    for name, p in sets.items():
        r = reliability(p, labels, bins or BINS)
        full = r.count > 0
        ax.plot(r.confidence[full], r.accuracy[full], "o-", label=f"{name} (ECE {r.ece:.4f})")
        ax_n.stairs(r.count, r.edges, label=name, lw=1.5)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title("Accuracy against confidence")
    ax.set_xlabel("confidence (top probability), bin mean")
    ax.set_ylabel("accuracy in the bin")
    ax.legend(loc="lower right")  # the empty corner: over-confident bins would sit there
    ax.grid(alpha=0.3)
    ax_n.set_yscale("log")
    ax_n.set_xlim(0, 1)
    ax_n.set_title("Answers in each bin")
    ax_n.set_xlabel("confidence (top probability)")
    ax_n.set_ylabel("number of answers (log scale)")
    ax_n.legend(loc="upper left")
    fig.suptitle(title)
    return fig


# What a network has learned (chapter 5) lives in plots_inside.py, beside these; imported last,
# since it draws with the helpers above.
from .plots_inside import (  # noqa: E402, F401
    plot_embedding,
    plot_feature_maps,
    plot_filters,
    plot_saliency,
)
