"""Models, training, the command line, and the shipped model."""

from __future__ import annotations

import importlib.util
import re

import keras
import numpy as np
import pytest

from digitlib import config, data, models, saving
from digitlib.evaluation import evaluate
from digitlib.preprocess import to_model_input
from digitlib.saving import ModelCard
from digitlib.training import default_epochs
from digitlib.training import train as fit

SHIPPED = config.shipped_model_path()


def shipped_card() -> ModelCard:
    """The model card committed beside the shipped model."""
    return ModelCard.read(SHIPPED)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("seed", 1_256_080),  # 520 + 25,050 + 1,225,500 + 5,010: counted by hand in chapter 03
        ("keras_example", 34_826),
    ],
)
def test_reference_models_shapes_and_parameters(name, params):
    model = models.build(name)
    assert model.count_params() == params
    out = model(np.zeros((3, 28, 28, 1), np.float32))
    assert out.shape == (3, 10)
    np.testing.assert_allclose(np.asarray(out).sum(axis=1), 1.0, rtol=1e-5)


def test_cnn_shapes_and_parameters():
    model = models.build_cnn()
    out = model(np.zeros((2, 28, 28, 1), np.float32), training=False)
    assert out.shape == (2, 10)
    assert 50_000 < model.count_params() < 250_000
    assert not any(isinstance(layer, keras.layers.Lambda) for layer in model.layers)


def test_unknown_model_name_is_a_clear_error():
    with pytest.raises(ValueError, match="choose one of"):
        models.build("resnet")


def test_quick_training_learns_and_round_trips(tmp_path):
    (x_train, y_train), (x_test, y_test) = data.load_mnist(quick=True)
    result = fit(models.build_seed_cnn(), x_train, y_train, epochs=3, quick=True, verbose=0)
    accuracy = evaluate(result.model, x_test, y_test).accuracy
    assert accuracy >= 0.85, f"quick training reached only {accuracy:.3f} (chance is 0.1)"
    assert set(result.history) >= {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"}
    assert len(result.val_split[1]) == 200  # 10% of the 2,000, taken from training data

    path = saving.save(result.model, tmp_path / "seed.weights.h5", ModelCard(model="seed"))
    loaded = saving.load(path)
    x = to_model_input(x_test[:64])
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), result.model.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_training_on_all_data_keeps_the_last_epoch():
    (x, y), _ = data.load_mnist(quick=True)
    result = fit(
        models.build_keras_example(),
        x,
        y,
        epochs=2,
        val_fraction=0,
        quick=True,
        verbose=0,
    )
    assert result.val_accuracy is None and len(result.val_split[1]) == 0
    assert result.epochs_run == result.best_epoch == 2
    assert "val_loss" not in result.history and len(result.history["loss"]) == 2


class _EpochWeights(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def _fit_quick(images: int, **kwargs):
    """Keras's small example, seeded, on the first ``images`` of the quick sample."""
    (x, y), _ = data.load_mnist(quick=True)
    model = models.build("keras_example", seed=0)
    return fit(model, x[:images], y[:images], quick=True, verbose=0, **kwargs)


def test_weight_averaging_averages_the_last_epochs():
    seen = _EpochWeights()
    result = _fit_quick(600, epochs=3, val_fraction=0, average_last=2, callbacks=[seen])
    assert result.averaged_epochs == (2, 3)
    for got, w2, w3 in zip(result.model.get_weights(), *seen.weights[1:], strict=True):
        np.testing.assert_allclose(got, (w2 + w3) / 2, rtol=1e-5, atol=1e-7)
    assert not np.allclose(result.model.get_weights()[0], seen.weights[2][0])


def test_weight_averaging_is_dropped_when_validation_loss_says_so():
    # Four epochs on 1,800 images: the network is still improving fast, so the average of
    # epochs 2-4 has a higher validation loss than epoch 4 alone, and must be thrown away.
    seen = _EpochWeights()
    result = _fit_quick(2000, epochs=4, average_last=3, callbacks=[seen])
    assert result.averaged_epochs is None
    for got, best in zip(
        result.model.get_weights(), seen.weights[result.best_epoch - 1], strict=True
    ):
        np.testing.assert_array_equal(got, best)
    val = (to_model_input(result.val_split[0]), keras.utils.to_categorical(result.val_split[1], 10))
    loss, _ = result.model.evaluate(*val, verbose=0)
    assert loss == pytest.approx(min(result.history["val_loss"][2:]), rel=1e-4)


class _WorseEveryEpoch(keras.callbacks.Callback):
    """Rewrite the validation loss so that each epoch looks worse than the one before."""

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = float(epoch + 1)


def test_early_stopping_waits_for_the_second_half_of_the_schedule():
    # Judged from epoch 1, this run would stop at epoch 2 and keep epoch 1. Epochs 1-3 run at
    # the schedule's high learning rate, so only epochs 4-6 are judged: 4 is kept, 5 stops it.
    result = _fit_quick(600, epochs=6, patience=1, callbacks=[_WorseEveryEpoch()])
    assert result.epochs_run == 5 and result.best_epoch == 4
    assert result.history["val_loss"] == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_weight_averaging_fits_short_runs_and_refuses_nonsense():
    # the full-mode setting in a quick run: all but the first epoch are averaged
    short = _fit_quick(300, epochs=3, val_fraction=0, average_last=5)
    assert short.averaged_epochs == (2, 3)
    with pytest.raises(ValueError, match="average_last must be 0"):
        _fit_quick(300, epochs=1, average_last=-1)


def test_training_is_seeded():
    (x, y), _ = data.load_mnist(quick=True)
    runs = []
    for _ in range(2):
        config.set_seed()  # before building: the initial weights are drawn at build time
        model = models.build_keras_example()
        runs.append(fit(model, x[:600], y[:600], epochs=1, quick=True, verbose=0))
    a, b = runs
    assert a.history["loss"] == pytest.approx(b.history["loss"], rel=1e-4)
    np.testing.assert_allclose(
        a.model.get_weights()[0], b.model.get_weights()[0], rtol=1e-4, atol=1e-6
    )


def test_build_with_a_seed_repeats_the_initial_weights():
    a, b, c = models.build("cnn", seed=3), models.build("cnn", seed=3), models.build("cnn", seed=4)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])
    with pytest.raises(ValueError, match="unknown model 'lenet'; choose one of"):
        models.build("lenet")


def test_shipped_card_is_a_full_run_within_budget():
    card = shipped_card()
    assert card.quick is False and card.test_examples == 10_000
    assert card.training_seconds <= 15 * 60


def test_make_train_reruns_the_shipped_cards_command():
    command = shipped_card().command
    makefile = (config.PROJECT_DIR / "Makefile").read_text()
    recipe = re.search(r"^train:.*\n\t(.+)$", makefile, re.MULTILINE)
    assert recipe is not None and recipe.group(1).replace("$(PY)", "python") == command


def test_the_cli_defaults_and_the_training_benchmark_follow_the_shipped_recipe():
    """Without options the command line trains the shipped network for the shipped epochs, and the
    side-by-side benchmark trains our CNN as the shipped card's command did."""
    command = shipped_card().command
    widths = ",".join(map(str, models.CNN_WIDTHS))
    assert f"--epochs {default_epochs(False)} " in command and f"--widths {widths} " in command
    path = config.PROJECT_DIR / "benchmarks" / "train_benchmark.py"
    spec = importlib.util.spec_from_file_location("train_benchmark", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert f"--epochs {bench.EPOCHS['cnn']} " in command
    assert f"--average-last {bench.AVERAGE_LAST['cnn']} " in command


def test_shipped_card_reaches_the_target():
    card = shipped_card()
    assert card.test_accuracy >= 0.996  # at most 40 of the 10,000 test digits wrong


def test_shipped_model_is_the_network_build_cnn_builds():
    """The chapters teach ``build_cnn()``; the demo runs the shipped model: the same network."""
    shipped = saving.load(SHIPPED)
    built = models.build_cnn()
    assert [(layer.name, layer.count_params()) for layer in shipped.layers] == [
        (layer.name, layer.count_params()) for layer in built.layers
    ]


def test_shipped_model_matches_its_card(mnist_dir):
    card = shipped_card()
    model = saving.load(SHIPPED)
    _, (x_test, y_test) = data.load_mnist(mnist_dir)
    accuracy = evaluate(model, x_test, y_test).accuracy
    assert abs(accuracy - card.test_accuracy) <= 0.001


def test_augmented_training_trains_and_returns_the_bare_network():
    (x, y), _ = data.load_mnist(quick=True)
    net = models.build("keras_example", seed=0)
    before = net.get_weights()[0].copy()
    result = fit(net, x[:600], y[:600], epochs=1, augment=True, quick=True, verbose=0)
    assert result.model is net
    assert not any(isinstance(layer, keras.Model) for layer in net.layers)
    assert not np.allclose(net.get_weights()[0], before)
