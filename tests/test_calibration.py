"""Calibration: ECE on cases worked by hand, temperature scaling, and the Recognizer using it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from digitlib import calibration, models
from digitlib.calibration import (
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    reliability,
)
from digitlib.inference import Recognizer


def answers(confidence: float, right: int, total: int) -> tuple[np.ndarray, np.ndarray]:
    """``total`` answers of digit 0 at ``confidence``; the first ``right`` are labelled 0."""
    p = np.full((total, 10), (1 - confidence) / 9)
    p[:, 0] = confidence
    labels = np.where(np.arange(total) < right, 0, 1)
    return p, labels


def test_ece_is_zero_when_confidence_matches_accuracy():
    p, y = answers(0.8, 80, 100)
    assert expected_calibration_error(p, y) == pytest.approx(0.0, abs=1e-12)


def test_ece_is_the_weighted_gap_between_confidence_and_accuracy():
    p1, y1 = answers(0.95, 5, 10)  # 95% sure, half right: gap 0.45
    p2, y2 = answers(0.6, 18, 30)  # 60% sure, 60% right: gap 0
    p, y = np.vstack([p1, p2]), np.concatenate([y1, y2])
    assert expected_calibration_error(p, y) == pytest.approx(10 / 40 * 0.45)
    table = reliability(p, y)
    assert table.count.sum() == 40 and len(table.edges) == calibration.BINS + 1
    assert np.isnan(table.accuracy[table.count == 0]).all()


def test_ece_is_one_when_sure_and_always_wrong():
    p, y = answers(1.0, 0, 20)
    assert expected_calibration_error(p, y) == pytest.approx(1.0)


def test_bad_shapes_say_what_was_given():
    with pytest.raises(ValueError, match="need probabilities"):
        expected_calibration_error(np.ones(10), np.zeros(10))


def test_nll_is_the_mean_log_loss_of_the_true_digit():
    p, y = answers(0.8, 3, 4)
    expected = -(3 * np.log(0.8) + np.log(0.2 / 9)) / 4
    assert negative_log_likelihood(p, y) == pytest.approx(expected)


def test_temperature_divides_the_scores_and_keeps_the_answer():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, size=(50, 10))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    for t in (0.5, 1.0, 3.0):
        expected = np.exp(z / t) / np.exp(z / t).sum(axis=1, keepdims=True)
        assert np.allclose(apply_temperature(p, t), expected)
        assert (apply_temperature(p, t).argmax(axis=1) == p.argmax(axis=1)).all()
    assert apply_temperature(p, 1000.0).max() < 0.11  # nearly uniform
    with pytest.raises(ValueError, match="positive"):
        apply_temperature(p, 0)


@pytest.mark.parametrize("true_t", [0.5, 2.0])
def test_fit_temperature_finds_the_temperature_the_labels_were_drawn_with(true_t):
    # Labels drawn from softmax(z / T); a model reporting softmax(z) is off by exactly T.
    rng = np.random.default_rng(1)
    z = rng.normal(0, 2.5, size=(20_000, 10))
    p_model = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p_true = apply_temperature(p_model, true_t)
    labels = np.array([rng.choice(10, p=row) for row in p_true])
    t = fit_temperature(p_model, labels)
    assert t == pytest.approx(true_t, rel=0.1)
    before = expected_calibration_error(p_model, labels)
    after = expected_calibration_error(apply_temperature(p_model, t), labels)
    assert after < before / 3


@pytest.fixture(scope="module")
def small_model():
    return models.build_seed_cnn()  # untrained: its probabilities are as good as any here


def test_recognizer_returns_probabilities_at_its_temperature(small_model):
    x = np.random.default_rng(2).random((4, 28, 28)).astype(np.float32)
    raw = Recognizer(small_model).probabilities(x)
    hot = Recognizer(small_model, temperature=2.0).probabilities(x)
    assert np.allclose(hot, apply_temperature(raw, 2.0), atol=1e-6)
    assert np.allclose(hot.sum(axis=1), 1, atol=1e-5)
    with pytest.raises(ValueError, match="positive"):
        Recognizer(small_model, temperature=-1)


def saved(model, tmp_path, **card_fields):
    from digitlib import saving

    return saving.save(model, tmp_path / "m.weights.h5", saving.ModelCard("seed", **card_fields))


def test_load_reads_the_temperature_from_the_card_beside_the_weights(small_model, tmp_path):
    weights = saved(small_model, tmp_path)
    assert Recognizer.load(weights).temperature == 1.0  # a card without one
    saved(small_model, tmp_path, temperature=0.7)
    assert Recognizer.load(weights).temperature == 0.7


def test_command_line_fits_and_writes_the_temperature(small_model, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DIGITLIB_QUICK", "1")
    weights = saved(small_model, tmp_path, epochs_run=3)
    card = json.loads((tmp_path / "m.json").read_text())
    assert calibration.main(["--model", str(weights)]) == 0
    assert json.loads((tmp_path / "m.json").read_text()) == card, "only --write writes"
    assert calibration.main(["--model", str(weights), "--write"]) == 0
    out = capsys.readouterr().out
    written = json.loads((tmp_path / "m.json").read_text())
    assert written["epochs_run"] == 3 and 0.05 <= written["temperature"] <= 20
    assert "test       ECE" in out
    assert Recognizer.load(weights).temperature == written["temperature"]


def test_the_shipped_model_is_calibrated_on_test_digits(recognizer):
    from digitlib import data
    from digitlib.preprocess import to_model_input

    x, y = data.load_quick_sample()[1]  # 500 MNIST test digits: never seen by the fit
    images = to_model_input(x)
    calibrated = recognizer.probabilities(images)
    raw = Recognizer(recognizer.model).probabilities(images)
    # Label smoothing made the network timid, so its temperature sharpens (T < 1).
    assert 0.05 < recognizer.temperature < 1
    assert (calibrated.argmax(axis=1) == raw.argmax(axis=1)).all()
    before = expected_calibration_error(raw, y)
    after = expected_calibration_error(calibrated, y)
    assert after < before / 3, (before, after)
