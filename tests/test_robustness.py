"""The robustness scores: every kind at every severity, and the whole pipeline's suites."""

from __future__ import annotations

import numpy as np
import pytest

from digitlib import models, pictures, robustness
from digitlib.data import load_mnist


@pytest.fixture(scope="module")
def quick_test():
    _, (x_test, y_test) = load_mnist(quick=True)
    return x_test[:30], y_test[:30]


def test_every_kind_is_scored_with_severities_in_turn(quick_test):
    x, y = quick_test
    assert robustness.severities(7).tolist() == [1, 2, 3, 1, 2, 3, 1]
    sets = robustness.corrupted_sets(x, seed=0)
    assert list(sets) == ["clean", *robustness.CORRUPTIONS]
    assert np.array_equal(sets["clean"], x)
    sev = robustness.severities(len(x))
    noisy = robustness.corrupt(x[sev == 2], "gaussian noise", 2, seed=0)
    assert np.array_equal(sets["gaussian noise"][sev == 2], noisy)
    scores = robustness.corruption_scores(models.build_keras_example(), sets, y)
    assert set(scores) == {*sets, "mean"}
    kinds = [scores[k] for k in robustness.CORRUPTIONS]
    assert scores["mean"] == pytest.approx(np.mean(kinds))
    assert all(0.0 <= s <= 1.0 for s in scores.values())


def test_read_all_answers_as_predict_does(recognizer, quick_test):
    x, _ = quick_test
    inputs = [pictures.sketchpad_drawing(x[0], seed=1), np.full((40, 40), 255, np.uint8), x[1]]
    answers = robustness.read_all(recognizer, inputs)
    expected = [recognizer.predict(p).digit for p in inputs]
    assert answers.tolist() == [-1 if d is None else d for d in expected]
    assert answers[1] == -1  # a blank page has no digit


def test_pipeline_scores_every_suite(recognizer, quick_test):
    x, y = quick_test
    scores = robustness.pipeline_scores(recognizer, x, y, photos=6, seed=0)
    assert list(scores)[:2] == ["MNIST-form digits, model alone", "MNIST-form digits, Recognizer"]
    assert set(robustness.SUITES) <= set(scores)
    # MNIST-form input reaches the model unchanged, so the two agree exactly.
    assert scores["MNIST-form digits, model alone"] == scores["MNIST-form digits, Recognizer"]


def test_command_line_scores_a_model_and_writes_its_card(tmp_path, monkeypatch, capsys):
    import json

    from digitlib import saving

    monkeypatch.setenv("DIGITLIB_QUICK", "1")  # the quick sample's 500 test digits
    weights = saving.save(
        models.build_keras_example(), tmp_path / "m.weights.h5", saving.ModelCard("keras_example")
    )
    card = json.loads((tmp_path / "m.json").read_text())
    assert robustness.main(["--model", str(weights)]) == 0
    assert json.loads((tmp_path / "m.json").read_text()) == card, "only --write writes"
    assert robustness.main(["--model", str(weights), "--write"]) == 0
    out = capsys.readouterr().out
    written = saving.ModelCard.read(weights).robustness
    assert set(written) == {"clean", *robustness.CORRUPTIONS, "mean"}
    assert written["mean"] == pytest.approx(
        np.mean([written[k] for k in robustness.CORRUPTIONS]), abs=1e-3
    )
    assert f"mean {written['mean']:.4f}" in out


def test_the_shipped_card_records_its_robustness(mnist_dir, shipped_card):
    """The card's scores are what the shipped model reads on the disturbed test digits, and
    they meet the targets: a corruption mean of 97% or more, no kind under 90%."""
    from digitlib import data, saving

    _, (x_test, y_test) = data.load_mnist(mnist_dir)
    recorded = shipped_card.robustness
    assert set(recorded) == {"clean", *robustness.CORRUPTIONS, "mean"}
    assert recorded["mean"] >= 0.97
    assert min(recorded[k] for k in robustness.CORRUPTIONS) >= 0.90
    assert recorded["clean"] == pytest.approx(shipped_card.test_accuracy, abs=1e-4)
    sets = robustness.corrupted_sets(x_test[::10], seed=0)
    scores = robustness.corruption_scores(saving.load(), sets, y_test[::10])
    # A tenth of the digits (every tenth, so each severity still in turn): within sampling error.
    assert abs(scores["mean"] - recorded["mean"]) < 0.01
