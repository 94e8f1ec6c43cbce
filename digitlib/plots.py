"""The book's figures. Each function returns a matplotlib Figure with a title and labelled axes."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

DIGITS = list(range(10))


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


def plot_digits(
    images: np.ndarray,
    labels: Sequence[str] | Sequence[int] | None = None,
    title: str = "MNIST digits",
    cols: int = 10,
) -> Figure:
    """A grid of 28x28 images, each captioned with its label."""
    images = np.asarray(images).reshape(len(images), 28, 28)
    rows = int(np.ceil(len(images) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.25 + 0.6), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < len(images):
            ax.imshow(images[i], cmap="gray_r")
            _image_axes(ax, None if labels is None else str(labels[i]))
        else:
            ax.axis("off")
    fig.tight_layout()
    return _label_grid(fig, title, "image (28 pixels wide)", "image (28 pixels high)")


def plot_image(image: np.ndarray, title: str, cmap: str = "gray_r") -> Figure:
    """One image, large, with pixel axes."""
    fig, ax = plt.subplots(figsize=(3.4, 3.4))
    im = ax.imshow(np.squeeze(image), cmap=cmap)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_title(title)
    ax.set_xlabel("x (pixels)")
    ax.set_ylabel("y (pixels)")
    fig.tight_layout()
    return fig


def plot_class_balance(y_train: np.ndarray, y_test: np.ndarray) -> Figure:
    """How many examples of each digit the training and test sets hold."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    width = 0.4
    ax.bar(np.arange(10) - width / 2, np.bincount(y_train, minlength=10), width, label="train")
    ax.bar(np.arange(10) + width / 2, np.bincount(y_test, minlength=10), width, label="test")
    ax.set_xticks(DIGITS)
    ax.set_title("Examples of each digit")
    ax.set_xlabel("digit")
    ax.set_ylabel("number of images")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_pixel_histogram(images: np.ndarray) -> Figure:
    """The distribution of pixel values: mostly paper, some ink, little in between."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.hist(np.asarray(images).ravel(), bins=64, log=True, color="tab:gray")
    ax.set_title("Pixel values over all images")
    ax.set_xlabel("pixel value (0 = paper, 255 = ink)")
    ax.set_ylabel("number of pixels (log scale)")
    fig.tight_layout()
    return fig


def plot_mean_digits(images: np.ndarray, labels: np.ndarray) -> Figure:
    """The average image of each digit."""
    means = np.stack([images[labels == d].mean(axis=0) for d in DIGITS])
    return plot_digits(
        means, [f"mean {d}" for d in DIGITS], title="The average digit of each class"
    )


def plot_training_curves(history: dict[str, list[float]], title: str = "Learning curves") -> Figure:
    """Loss and accuracy per epoch, training against validation."""
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, key, label in ((ax_loss, "loss", "loss"), (ax_acc, "accuracy", "accuracy")):
        ax.plot(epochs, history[key], "o-", label="training")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], "s-", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.set_title(f"{label.capitalize()} per epoch")
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_learning_rate(history: dict[str, list[float]]) -> Figure:
    """The learning rate each epoch ended with."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(np.arange(1, len(history["learning_rate"]) + 1), history["learning_rate"], "o-")
    ax.set_title("Learning-rate schedule (one cycle)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate at end of epoch")
    ax.grid(alpha=0.3)
    fig.tight_layout()
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
    fig, ax = plt.subplots(figsize=(7.5, 6.2))
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
    fig.tight_layout()
    return fig


def plot_per_class_report(report: dict[str, np.ndarray]) -> Figure:
    """Precision, recall and F1 of each digit, side by side."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    width = 0.27
    for i, key in enumerate(("precision", "recall", "f1")):
        ax.bar(np.arange(10) + (i - 1) * width, report[key], width, label=key)
    low = min(float(np.min([report[k] for k in ("precision", "recall", "f1")])), 0.98)
    ax.set_ylim(max(0.0, low - 0.01), 1.0)
    ax.set_xticks(DIGITS)
    ax.set_title("Per-class precision, recall and F1")
    ax.set_xlabel("digit")
    ax.set_ylabel("score")
    ax.legend(ncols=3, loc="lower right")
    fig.tight_layout()
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


def plot_filters(filters: np.ndarray) -> Figure:
    """The first convolution's kernels: red pushes up, blue pushes down."""
    n = len(filters)
    cols = min(8, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.2 + 0.6), squeeze=False)
    limit = float(np.abs(filters).max()) or 1.0
    for i, ax in enumerate(axes.flat):
        if i < n:
            ax.imshow(filters[i], cmap="RdBu_r", vmin=-limit, vmax=limit)
            _image_axes(ax, f"filter {i}")
        else:
            ax.axis("off")
    fig.tight_layout()
    return _label_grid(fig, "First-layer filters", "kernel x", "kernel y")


def plot_feature_maps(maps: list[tuple[str, np.ndarray]], per_layer: int = 8) -> Figure:
    """The first ``per_layer`` channels of each convolution block's output for one digit."""
    fig, axes = plt.subplots(
        len(maps), per_layer, figsize=(per_layer * 1.1, len(maps) * 1.25 + 0.6), squeeze=False
    )
    for row, (name, fmap) in enumerate(maps):
        for col in range(per_layer):
            ax = axes[row, col]
            if col < fmap.shape[-1]:
                ax.imshow(fmap[:, :, col], cmap="viridis")
            _image_axes(ax, f"{name} #{col}" if col == 0 else f"#{col}")
        axes[row, 0].set_ylabel(f"{name}\n{fmap.shape[0]}x{fmap.shape[1]}", fontsize=8)
    fig.tight_layout()
    return _label_grid(fig, "Feature maps, layer by layer", "channel", "layer")


def plot_saliency(image: np.ndarray, sal: np.ndarray, digit: int, probability: float) -> Figure:
    """The digit beside the saliency map of the model's answer."""
    fig, (ax_img, ax_sal) = plt.subplots(1, 2, figsize=(7, 3.5))
    ax_img.imshow(np.squeeze(image), cmap="gray_r")
    ax_img.set_title("input")
    im = ax_sal.imshow(sal, cmap="hot")
    ax_sal.set_title(f"saliency for '{digit}' (p={probability:.2f})")
    fig.colorbar(im, ax=ax_sal, fraction=0.046, pad=0.04, label="relative influence")
    for ax in (ax_img, ax_sal):
        ax.set_xlabel("x (pixels)")
        ax.set_ylabel("y (pixels)")
    fig.suptitle("Which pixels decide the answer")
    fig.tight_layout()
    return fig


def plot_embedding(points: np.ndarray, labels: np.ndarray, title: str) -> Figure:
    """A 2-D embedding, one colour per digit, each digit labelled at its centre."""
    fig, ax = plt.subplots(figsize=(7, 6))
    cmap = plt.get_cmap("tab10")
    for d in DIGITS:
        sel = labels == d
        ax.scatter(points[sel, 0], points[sel, 1], s=4, alpha=0.5, color=cmap(d), label=str(d))
        if sel.any():
            cx, cy = np.median(points[sel], axis=0)
            ax.text(cx, cy, str(d), fontsize=14, weight="bold", ha="center", va="center")
    ax.set_title(title)
    ax.set_xlabel("component 1")
    ax.set_ylabel("component 2")
    ax.legend(title="digit", markerscale=3, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.tight_layout()
    return fig


def plot_probabilities(
    probabilities: np.ndarray, title: str = "What the network believes"
) -> Figure:
    """A bar per digit: the model's probability for each."""
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.bar(DIGITS, probabilities, color="tab:blue")
    ax.set_xticks(DIGITS)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.set_xlabel("digit")
    ax.set_ylabel("probability")
    fig.tight_layout()
    return fig
