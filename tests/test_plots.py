"""Every figure has a title and labelled axes; the numbers behind them add up."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from digitlib import data, evaluation, interpret, models, plots  # noqa: E402


@pytest.fixture(scope="module")
def quick():
    return data.load_mnist(quick=True)


@pytest.fixture(scope="module")
def model():
    return models.build_cnn()  # untrained is enough to draw every figure


def titles(fig) -> str:
    """The figure's own texts (title, shared axis labels) and every panel's title."""
    parts = [t.get_text() for t in fig.texts] + [ax.get_title() for ax in fig.axes]
    return " | ".join(parts)


def assert_labelled(fig, title: str) -> None:
    assert title in titles(fig), titles(fig)
    labelled = [ax for ax in fig.axes if ax.get_xlabel() and ax.get_ylabel()]
    sup = len([t for t in fig.texts if t.get_text()]) >= 3  # a title and shared x and y labels
    assert labelled or sup, "no axis labels"
    plt.close(fig)


def test_data_figures(quick):
    (x, y), (xt, yt) = quick
    assert_labelled(plots.plot_digits(x[:20], y[:20]), "MNIST digits")
    assert_labelled(plots.plot_class_balance(y, yt), "Examples of each digit")
    assert_labelled(plots.plot_pixel_histogram(x[:100]), "Pixel values")
    assert_labelled(plots.plot_mean_digits(x, y), "average digit")
    assert_labelled(plots.plot_image(x[0], "One digit"), "One digit")


def test_training_figures():
    history = {
        "loss": [1.0, 0.5],
        "val_loss": [0.9, 0.6],
        "accuracy": [0.7, 0.9],
        "val_accuracy": [0.75, 0.88],
        "learning_rate": [1e-3, 5e-4],
    }
    assert_labelled(plots.plot_training_curves(history), "Learning curves")
    assert_labelled(plots.plot_learning_rate(history), "Learning-rate schedule")


@pytest.mark.parametrize(
    ("mode", "title"),
    [("counts", "counts"), ("normalised", "sums to 1"), ("errors", "Mistakes only")],
)
def test_confusion_matrix(quick, model, mode, title):
    _, (xt, yt) = quick
    ev = evaluation.evaluate(model, xt, yt)
    assert ev.confusion.sum() == len(yt)
    assert ev.confusion.sum(axis=1).tolist() == np.bincount(yt, minlength=10).tolist()
    assert_labelled(plots.plot_confusion_matrix(ev.confusion, mode), title)


def test_report_and_mistakes(quick, model):
    _, (xt, yt) = quick
    ev = evaluation.evaluate(model, xt, yt)
    report = ev.report
    assert np.allclose(report["recall"], ev.per_class_accuracy)
    assert_labelled(plots.plot_per_class_report(report), "precision, recall and F1")
    wrong = ev.mistakes()
    assert (ev.y_pred[wrong] != yt[wrong]).all()
    assert np.all(np.diff(ev.confidence[wrong]) <= 0), "most confident first"
    fig = plots.plot_mistakes(xt, yt, ev.y_pred, ev.confidence, wrong[:8])
    assert_labelled(fig, "Misclassified digits")


# ---------------------------------------------------------------------------------------------
# Readable figures: no text collides with another text or with an image panel, and every figure
# is large enough to read on a page.

MIN_PIXELS = (500, 280)  # width, height at matplotlib's default 100 dpi


def every_figure(quick, model):
    """One call of every public plot function, with the data the chapters give it."""
    (x, y), (xt, yt) = quick
    ev = evaluation.evaluate(model, xt[:60], yt[:60])
    history = {
        "loss": [1.0, 0.5, 0.4],
        "val_loss": [0.9, 0.6, 0.5],
        "accuracy": [0.7, 0.9, 0.92],
        "val_accuracy": [0.75, 0.88, 0.9],
        "learning_rate": [1e-3, 5e-4, 1e-5],
    }
    sal = interpret.saliency(model, xt[0])
    feats = interpret.penultimate(model, xt[:60])
    figures = {
        "plot_digits": plots.plot_digits(x[:20], y[:20]),
        "plot_digits two": plots.plot_digits(x[:2], ["before", "after"], title="Before and after"),
        "plot_image": plots.plot_image(x[0], "One digit"),
        "plot_class_balance": plots.plot_class_balance(y, yt),
        "plot_pixel_histogram": plots.plot_pixel_histogram(x[:100]),
        "plot_mean_digits": plots.plot_mean_digits(x, y),
        "plot_training_curves": plots.plot_training_curves(history),
        "plot_training_curves per step": plots.plot_training_curves(
            {k: v * 20 for k, v in history.items()}, "Gradient descent", xlabel="step"
        ),
        "plot_learning_rate": plots.plot_learning_rate(history),
        "plot_per_class_report": plots.plot_per_class_report(ev.report),
        "plot_mistakes": plots.plot_mistakes(xt, yt, ev.y_pred, ev.confidence, list(range(12))),
        "plot_filters": plots.plot_filters(interpret.first_conv_filters(model)),
        "plot_filters weights": plots.plot_filters(
            np.random.default_rng(0).normal(size=(10, 28, 28)),
            "Weights",
            [f"digit {d}" for d in range(10)],
            ("pixel x", "pixel y"),
        ),
        "plot_feature_maps": plots.plot_feature_maps(interpret.feature_maps(model, xt[0])),
        "plot_saliency": plots.plot_saliency(xt[0], sal, 3, 0.5),
        "plot_embedding": plots.plot_embedding(interpret.embed_2d(feats), yt[:60], "PCA"),
        "plot_probabilities": plots.plot_probabilities(ev.probabilities[0]),
        "plot_reliability": plots.plot_reliability(ev.probabilities, yt[:60]),
    }
    for mode in ("counts", "normalised", "errors"):
        figures[f"plot_confusion_matrix {mode}"] = plots.plot_confusion_matrix(ev.confusion, mode)
    return figures


def drawn_tick_labels(ax):
    """Tick labels matplotlib draws: those of ticks inside the axis's view."""
    labels = []
    if not ax.axison:  # an empty panel of a grid, turned off
        return labels
    for axis, i in ((ax.xaxis, 0), (ax.yaxis, 1)):
        low, high = sorted(axis.get_view_interval())
        for label in axis.get_ticklabels():
            if low - 1e-9 * abs(high - low) <= label.get_position()[i] <= high * (1 + 1e-9):
                labels.append(label)
    return labels


def text_boxes(fig):
    """(name, bounding box) of every visible non-empty label, title and tick label."""
    renderer = fig.canvas.get_renderer()
    texts = [fig._suptitle, fig._supxlabel, fig._supylabel]
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        texts += drawn_tick_labels(ax)
        legend = ax.get_legend()
        if legend is not None:
            texts += legend.get_texts()
            texts.append(legend.get_title())
    return [
        (repr(t.get_text()), t.get_window_extent(renderer))
        for t in texts
        if t is not None and t.get_visible() and t.get_text().strip()
    ]


def overlap(a, b, slack: float = 1.0) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > slack and min(a.y1, b.y1) - max(a.y0, b.y0) > slack


def test_plot_functions_are_all_covered(quick, model):
    public = {n for n in dir(plots) if n.startswith("plot_")}
    figures = every_figure(quick, model)
    missing = public - {key.split()[0] for key in figures}
    assert not missing, f"not rendered by every_figure: {missing}"
    for fig in figures.values():
        plt.close(fig)


def test_no_text_overlaps_text_or_images_and_figures_are_large_enough(quick, model):
    problems = []
    for name, fig in every_figure(quick, model).items():
        fig.canvas.draw()
        width, height = fig.canvas.get_width_height()
        if width < MIN_PIXELS[0] or height < MIN_PIXELS[1]:
            problems.append(f"{name}: {width}x{height} px is too small")
        boxes = text_boxes(fig)
        for i, (a_name, a) in enumerate(boxes):
            if a.x0 < -1 or a.y0 < -1 or a.x1 > width + 1 or a.y1 > height + 1:
                problems.append(f"{name}: {a_name} runs off the figure")
            for b_name, b in boxes[i + 1 :]:
                if overlap(a, b):
                    problems.append(f"{name}: {a_name} overlaps {b_name}")
        images = [ax.get_window_extent() for ax in fig.axes if ax.images]
        for text in (fig._suptitle, fig._supxlabel, fig._supylabel):
            if text is None or not text.get_text():
                continue
            box = text.get_window_extent()
            for panel in images:
                if overlap(box, panel):
                    problems.append(f"{name}: {text.get_text()!r} overlaps an image panel")
                    break
        plt.close(fig)
    assert not problems, "\n".join(problems)


def test_filter_figure_has_a_colour_bar(model):
    fig = plots.plot_filters(interpret.first_conv_filters(model))
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 1 and bars[0].get_ylabel() == "weight"
    plt.close(fig)
