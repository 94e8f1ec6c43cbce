"""Figures of what a network has learned (chapter 5): filters, feature maps, saliency and an
embedding of its last layer. ``digitlib.plots`` re-exports them with the book's other figures.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .plots import DIGITS, _grid, _image_axes, _label_grid


def plot_filters(
    filters: np.ndarray,
    title: str = "First-layer filters",
    captions: Sequence[str] | None = None,
    axis_names: tuple[str, str] = ("kernel x", "kernel y"),
) -> Figure:
    """Kernels (or any weight images) on one colour scale: red pushes up, blue pushes down."""
    n = len(filters)
    cols = min(8, n)
    rows = int(np.ceil(n / cols))
    fig, axes = _grid(rows, cols, cell_width=1.15)
    limit = float(np.abs(filters).max()) or 1.0
    for i, ax in enumerate(axes.flat):
        if i < n:
            im = ax.imshow(filters[i], cmap="RdBu_r", vmin=-limit, vmax=limit)
            _image_axes(ax, captions[i] if captions is not None else f"filter {i}")
        else:
            ax.axis("off")
    fig.colorbar(im, ax=axes, shrink=0.8, label="weight")
    return _label_grid(fig, title, *axis_names)


def plot_feature_maps(maps: list[tuple[str, np.ndarray]], per_layer: int = 8) -> Figure:
    """The first ``per_layer`` channels of each convolution block's output for one digit."""
    fig, axes = _grid(len(maps), per_layer)
    for row, (name, fmap) in enumerate(maps):
        for col in range(per_layer):
            ax = axes[row, col]
            if col < fmap.shape[-1]:
                ax.imshow(fmap[:, :, col], cmap="viridis")
            _image_axes(ax, f"#{col}")
        axes[row, 0].set_ylabel(f"{name}\n{fmap.shape[0]}x{fmap.shape[1]}", fontsize=8)
    return _label_grid(fig, "Feature maps, layer by layer", "channel", "layer")


def plot_saliency(image: np.ndarray, sal: np.ndarray, digit: int, probability: float) -> Figure:
    """The digit beside the saliency map of the model's answer."""
    fig, (ax_img, ax_sal) = plt.subplots(1, 2, figsize=(8, 3.8), layout="constrained")
    ax_img.imshow(np.squeeze(image), cmap="gray_r")
    ax_img.set_title("input")
    im = ax_sal.imshow(sal, cmap="hot")
    ax_sal.set_title(f"saliency for '{digit}' (p={probability:.2f})")
    fig.colorbar(im, ax=ax_sal, fraction=0.046, pad=0.04, label="relative influence")
    for ax in (ax_img, ax_sal):
        ax.set_xlabel("x (pixels)")
        ax.set_ylabel("y (pixels)")
    fig.suptitle("Which pixels decide the answer")
    return fig


def plot_embedding(points: np.ndarray, labels: np.ndarray, title: str) -> Figure:
    """A 2-D embedding, one colour per digit, each digit labelled at its centre."""
    fig, ax = plt.subplots(figsize=(7, 6), layout="constrained")
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
    return fig
