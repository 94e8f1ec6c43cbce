"""The networks the book builds."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from digitlib import models


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


def test_build_with_a_seed_repeats_the_initial_weights():
    a, b, c = models.build("cnn", seed=3), models.build("cnn", seed=3), models.build("cnn", seed=4)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])
