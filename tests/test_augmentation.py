"""The robust training augmentation: seeded, in range, and only while training."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from digitlib import models
from digitlib.augmentation import RandomDisturbance, _blur, _dilate
from digitlib.data import load_mnist


@pytest.fixture(scope="module")
def batch() -> np.ndarray:
    _, (x_test, _) = load_mnist(quick=True)
    return (x_test[:64] / 255.0).astype(np.float32)[..., None]


def test_passes_images_through_unchanged_outside_training(batch):
    layer = RandomDisturbance(seed=1)
    assert np.array_equal(np.asarray(layer(batch, training=False)), batch)
    assert np.array_equal(np.asarray(layer(batch)), batch)


def test_disturbs_every_image_while_training_within_range_and_repeatably(batch):
    first = np.asarray(RandomDisturbance(seed=1)(batch, training=True))
    again = np.asarray(RandomDisturbance(seed=1)(batch, training=True))
    other = np.asarray(RandomDisturbance(seed=2)(batch, training=True))
    assert first.shape == batch.shape and 0.0 <= first.min() and first.max() <= 1.0
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    changed = np.abs(first - batch).reshape(len(batch), -1).max(axis=1) > 0.05
    assert changed.all()  # the geometry moves every digit a little
    # Some images get pixel-level disturbances: paper brighter than black somewhere.
    background = np.where(batch == 0, first, 0).reshape(len(batch), -1).mean(axis=1)
    assert (background > 0.02).sum() >= 5


@pytest.mark.parametrize("size", [2, 3])
def test_shifted_maxima_are_a_grey_dilation(size):
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype(np.float32)
    expected = ndimage.grey_dilation(x[0, :, :, 0], size=(size, size), mode="constant", cval=0)
    assert np.array_equal(np.asarray(_dilate(x, size))[0, :, :, 0], expected)


def test_shifted_sums_are_a_gaussian_blur():
    x = np.random.default_rng(0).random((1, 28, 28, 1)).astype(np.float32)
    expected = ndimage.gaussian_filter(x[0, :, :, 0], 0.9, mode="constant", truncate=3 / 0.9)
    assert np.allclose(np.asarray(_blur(x, 0.9))[0, :, :, 0], expected, atol=1e-5)


def test_either_augmentation_trains_the_same_network_and_is_not_kept():
    network = models.build_cnn()
    robust = models.with_augmentation(network, kind="robust")
    assert robust.count_params() == network.count_params()
    assert robust.layers[0].layers[0].name == "disturb" and robust.layers[-1] is network
    with pytest.raises(ValueError, match="unknown augmentation"):
        models.augmentation(kind="sparkles")


def test_train_puts_the_named_augmentation_in_front(monkeypatch, batch):
    from digitlib import training

    seen = []
    real = models.with_augmentation

    def spy(model, seed, kind="geometric"):
        seen.append(kind)
        return real(model, seed, kind)

    monkeypatch.setattr(training, "with_augmentation", spy)
    x, y = (batch[..., 0] * 255).astype(np.uint8), np.arange(len(batch)) % 10
    for augment in (True, "robust"):
        training.train(models.build_keras_example(), x, y, epochs=1, augment=augment, verbose=0)
    assert seen == ["geometric", "robust"]
