"""Every figure has a title and labelled axes; the numbers behind them add up."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from digitlib import data, evaluation, models, plots  # noqa: E402


@pytest.fixture(scope="module")
def quick():
    return data.load_mnist(quick=True)


@pytest.fixture(scope="module")
def model():
    return models.build_cnn()  # untrained is enough to draw every figure


def titles(fig) -> str:
    parts = [fig._suptitle.get_text() if fig._suptitle else ""]
    parts += [ax.get_title() for ax in fig.axes]
    return " | ".join(parts)


def assert_labelled(fig, title: str) -> None:
    assert title in titles(fig), titles(fig)
    labelled = [ax for ax in fig.axes if ax.get_xlabel() and ax.get_ylabel()]
    sup = fig._supxlabel is not None and fig._supylabel is not None
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


def test_report_from_a_known_matrix():
    cm = np.array([[8, 2], [1, 9]])
    r = evaluation.per_class_report(cm)
    assert r["precision"].tolist() == pytest.approx([8 / 9, 9 / 11])
    assert r["recall"].tolist() == pytest.approx([0.8, 0.9])


def test_inside_the_network(quick, model):
    _, (xt, yt) = quick
    filters = evaluation.first_conv_filters(model)
    assert filters.shape[0] == evaluation.conv_layers(model)[0].filters
    assert_labelled(plots.plot_filters(filters), "First-layer filters")
    maps = evaluation.feature_maps(model, xt[0])
    assert [name for name, _ in maps] == [c.name for c in evaluation.conv_layers(model)]
    assert maps[0][1].ndim == 3
    assert_labelled(plots.plot_feature_maps(maps), "Feature maps")
    sal = evaluation.saliency(model, xt[0])
    assert sal.shape == (28, 28) and sal.max() == pytest.approx(1.0)
    assert_labelled(plots.plot_saliency(xt[0], sal, 3, 0.5), "Which pixels")


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_embedding(quick, model, method):
    _, (xt, yt) = quick
    feats = evaluation.penultimate(model, xt[:120])
    assert feats.shape[0] == 120 and feats.ndim == 2
    points = evaluation.embed_2d(feats, method)
    assert points.shape == (120, 2)
    assert_labelled(
        plots.plot_embedding(points, yt[:120], f"{method} of the last layer"),
        f"{method} of the last layer",
    )


def test_transforms_move_rotate_and_reweight_ink(quick):
    from digitlib import transforms
    from digitlib.preprocess import center_of_mass

    _, (xt, _) = quick
    digits = xt[:20]
    moved = transforms.shift(digits, 3, -2)
    before = np.array([center_of_mass(d.astype(float)) for d in digits])
    after = np.array([center_of_mass(d.astype(float)) for d in moved])
    assert np.allclose((after - before).mean(axis=0), [-2, 3], atol=0.3)
    assert transforms.thicken(digits).sum() > digits.sum() > transforms.thin(digits).sum()
    turned = transforms.rotate(digits, 90)
    assert turned.shape == digits.shape and turned.dtype == np.uint8
    back = transforms.rotate(turned, -90)
    assert np.abs(back.astype(int) - digits).mean() < 10
