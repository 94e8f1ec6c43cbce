"""Training: the steps a run is made of, and ``train``, which runs them."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from digitlib import config, data, models, saving, training
from digitlib.evaluation import evaluate
from digitlib.preprocess import to_model_input
from digitlib.saving import ModelCard
from digitlib.training import train as fit


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
    # batched as training validates: Keras 3.0 averages a loss over uneven batches differently
    val = training.make_dataset(*result.val_split, batch_size=512, one_hot=True)
    loss, _ = result.model.evaluate(val, verbose=0)
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


def test_augmented_training_trains_and_returns_the_bare_network():
    (x, y), _ = data.load_mnist(quick=True)
    net = models.build("keras_example", seed=0)
    before = net.get_weights()[0].copy()
    result = fit(net, x[:600], y[:600], epochs=1, augment=True, quick=True, verbose=0)
    assert result.model is net
    assert not any(isinstance(layer, keras.Model) for layer in net.layers)
    assert not np.allclose(net.get_weights()[0], before)


def test_make_dataset_batches_scaled_images():
    (x, y), _ = data.load_quick_sample()
    ds = training.make_dataset(x[:300], y[:300], batch_size=128, shuffle=True, one_hot=True)
    batches = list(ds.as_numpy_iterator())
    assert [len(b[1]) for b in batches] == [128, 128, 44]
    images, labels = batches[0]
    assert images.shape == (128, 28, 28, 1) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert labels.shape == (128, 10) and (labels.sum(axis=1) == 1).all()
    # tf.data's autotuning is off: its thread stalled every new epoch's iterator (2 cores).
    assert ds.options().autotune.enabled is False
