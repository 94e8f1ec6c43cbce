"""Saving and loading: portable weights, the model card beside them, clear errors for bad files."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from digitlib import config, data, models, saving
from digitlib.evaluation import evaluate
from digitlib.saving import ModelCard, ModelLoadError, ModelNotFoundError


def _saved(tmp_path, name="cnn", options=None):
    model = models.build(name, seed=1, **(options or {}))
    path = saving.save(model, tmp_path / f"{name}.weights.h5", ModelCard(name, options or {}))
    return model, path


@pytest.mark.parametrize(
    ("name", "options"),
    [("seed", {}), ("keras_example", {}), ("cnn", {"widths": [4, 8, 16]})],
)
def test_every_builder_round_trips(tmp_path, name, options):
    model, path = _saved(tmp_path, name, options)
    assert ModelCard.path_for(path) == tmp_path / f"{name}.json"
    loaded = saving.load(path)
    x = np.random.default_rng(0).random((8, 28, 28, 1), np.float32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_card_path_and_suffix_rules(tmp_path):
    assert ModelCard.path_for("models/digit_cnn.weights.h5").name == "digit_cnn.json"
    with pytest.raises(ValueError, match="end in .weights.h5"):
        saving.save(models.build_seed_cnn(), tmp_path / "m.keras", ModelCard("seed"))


def test_the_shipped_model_has_no_training_only_layers():
    model = saving.load()
    assert not any(isinstance(layer, keras.Model) for layer in model.layers)  # no augment block
    assert ModelCard.read(config.shipped_model_path()).augment == "robust"  # how it was trained


def test_a_missing_model_says_how_to_make_one(tmp_path):
    with pytest.raises(ModelNotFoundError, match="make train"):
        saving.load(tmp_path / "nothing.weights.h5")


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.write_bytes(b""),
        lambda path: path.write_bytes(b"this is not HDF5 at all" * 10),
        lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
    ],
    ids=["empty", "garbage", "truncated"],
)
def test_a_damaged_weights_file_is_one_clear_line(tmp_path, damage):
    _, path = _saved(tmp_path, "seed")
    damage(path)
    with pytest.raises(ModelLoadError) as error:
        saving.load(path)
    message = str(error.value)
    assert "seed.weights.h5" in message and "\n" not in message
    assert str(tmp_path) not in message


@pytest.mark.parametrize(
    ("card", "expected"),
    [
        (None, "seed.json is missing"),
        ("{not json", "not a readable model card"),
        (json.dumps({"options": {}}), "does not name its model"),
        (json.dumps({"model": "resnet"}), "cannot rebuild"),
        (json.dumps({"model": "seed", "options": {"widths": [1, 2, 3]}}), "cannot rebuild"),
        (json.dumps({"model": "keras_example"}), "not readable as the weights of 'keras_example'"),
    ],
)
def test_a_bad_card_is_one_clear_line(tmp_path, card, expected):
    _, path = _saved(tmp_path, "seed")
    card_path = ModelCard.path_for(path)
    if card is None:
        card_path.unlink()
    else:
        card_path.write_text(card)
    with pytest.raises(ModelLoadError, match=expected) as error:
        saving.load(path)
    assert "\n" not in str(error.value) and str(tmp_path) not in str(error.value)


def test_shipped_model_is_the_network_build_cnn_builds():
    """The chapters teach ``build_cnn()``; the demo runs the shipped model: the same network."""
    shipped = saving.load()
    built = models.build_cnn()
    assert [(layer.name, layer.count_params()) for layer in shipped.layers] == [
        (layer.name, layer.count_params()) for layer in built.layers
    ]


def test_shipped_model_reads_what_its_card_says(mnist_dir, shipped_card):
    """A full run within the 15-minute budget that reads >= 99.6% of MNIST's test set."""
    _, (x_test, y_test) = data.load_mnist(mnist_dir)
    accuracy = evaluate(saving.load(), x_test, y_test).accuracy
    assert accuracy >= 0.996  # at most 40 of the 10,000 test digits wrong
    assert abs(accuracy - shipped_card.test_accuracy) <= 0.001
    assert shipped_card.quick is False and shipped_card.test_examples == 10_000
    assert shipped_card.training_seconds <= 15 * 60
