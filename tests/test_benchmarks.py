"""The benchmark scripts run, on the quick sample, and print the tables RESULTS.md records.

These check that the scripts work and what they print, not how fast anything is: speed and
accuracy are measured by running the scripts in full (see ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from digitlib import config, models, robustness

BENCHMARKS = config.PROJECT_DIR / "benchmarks"
NUMBER = r"[\d,]+(?:\.\d+)?"


def run(script: str, *args: str, cwd, quick: bool = False) -> str:
    """Run a benchmark script in a fresh process; ``quick`` sets DIGITLIB_QUICK for scripts
    that have no --quick of their own."""
    env = {**os.environ, "DIGITLIB_QUICK": "1"} if quick else None
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,  # a temporary folder: nothing may be written into the repository
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def table_rows(text: str) -> dict[str, list[str]]:
    """Markdown table rows by their first cell (header and rule lines included)."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_training_benchmark_prints_the_three_networks_side_by_side(tmp_path):
    rows = table_rows(run("train_benchmark.py", "--quick", cwd=tmp_path))
    assert rows["model"] == [
        "parameters",
        "epochs",
        "s/epoch",
        "training s",
        "validation acc",
        "test acc",
    ]
    expected = {
        "seed": 1_256_080,
        "keras_example": 34_826,
        "cnn": models.build_cnn().count_params(),
    }
    for name, params in expected.items():
        cells = rows[name]
        assert cells[0] == f"{params:,}" and cells[1] == "1"
        seconds_per_epoch, seconds, val, test = (float(c) for c in cells[2:])
        assert seconds_per_epoch > 0 and seconds >= 0
        assert 0.1 < val <= 1 and 0.1 < test <= 1, f"{name} learned nothing: {cells}"


def test_inference_benchmark_times_every_path(tmp_path):
    rows = table_rows(run("inference_benchmark.py", cwd=tmp_path))
    for path in (
        "model.predict(x)",
        "model(x) (eager)",
        "compiled tf.function",
        "Recognizer.predict(sketch payload)",
    ):
        median, p95 = (float(c) for c in rows[path])
        assert 0 < median <= p95, path
    for size in ("1", "32", "256", "1024"):
        assert re.fullmatch(NUMBER, rows[size][0]) and float(rows[size][0].replace(",", "")) > 0


def test_averaging_benchmark_scores_every_variant(tmp_path):
    out = run("averaging_benchmark.py", "--quick", "--seeds", "1", cwd=tmp_path)
    rows = table_rows(out)
    assert rows["initial weights"] == ["final", "ema", "last2", "last3", "last5"]
    for cell in rows["seed 1"]:
        val_errors, test_errors = (int(n) for n in cell.split(" / "))
        assert 0 <= val_errors <= 200 and 0 <= test_errors <= 500  # quick split and test sizes
    result = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    assert result["seed"] == 1 and result["epochs"] == 3


def test_augmentation_timing_times_every_variant(tmp_path):
    out = run("augmentation_timing.py", "--rounds", "1", "--steps", "2", cwd=tmp_path, quick=True)
    times = json.loads(out.strip().splitlines()[-1])
    assert set(times) == {"keras128", "none128", "tfdata128", "keras256", "tfdata256"}
    assert all(len(t) == 1 and t[0] > 0 for t in times.values())


@pytest.mark.browser
def test_sketchpad_benchmark_reports_agreement_and_page_timings(tmp_path):
    from digitlib.export import supported

    if not supported():
        pytest.skip("Keras < 3.8 cannot export the model to ONNX")
    out = run("sketchpad_benchmark.py", "--quick", cwd=tmp_path)
    rows = table_rows(out)
    same, diff = rows["500"][:2]  # the quick sample's 500 test images
    assert same == "100.00%" and float(diff) <= 1e-4
    key = next(k for k in rows if k.startswith("navigation to ready"))
    ready, worst = (float(c) for c in rows[key])
    assert 0 < ready <= worst
    key = next(k for k in rows if k.startswith("one prediction"))
    assert 0 < float(rows[key][0])


def test_load_test_runs_demo_and_answers_every_request(tmp_path):
    """A small load run in CI (10 clients x 5 strokes): every request answered, no errors."""
    rows = table_rows(run("load_test.py", "--clients", "10", "--requests", "5", cwd=tmp_path))
    header = rows["clients x requests"]
    cells = dict(zip(header, rows["10 x 5"], strict=True))
    assert cells["errors"] == "0 of 50"
    p50, p95 = float(cells["p50 s"]), float(cells["p95 s"])
    assert 0 < p50 <= p95
    for key in ("server MB before", "server MB after", "server peak MB"):
        assert float(cells[key]) > 100, key  # a live TensorFlow process was measured


def test_robustness_benchmark_prints_the_models_side_by_side(tmp_path):

    out = run("robustness_benchmark.py", "--quick", cwd=tmp_path)
    rows = table_rows(out)
    assert rows["disturbance"] == ["family", "shipped", "seed", "keras_example"]
    for kind in [*robustness.CORRUPTIONS, "**mean**", "**clean**"]:
        scores = [float(c) for c in rows[kind][1:]]
        assert len(scores) == 3 and all(0 <= s <= 1 for s in scores), kind
    assert float(rows["**clean**"][1]) > 0.9  # the shipped model, on the quick test digits
    for suite in ("sketchpad drawings", "photos, plain paper", "photos, ruled paper"):
        assert 0 <= float(rows[suite][0]) <= 1
    alone = rows["MNIST-form digits, model alone"][0]
    assert rows["MNIST-form digits, Recognizer"][0] == alone


def test_augmentation_robustness_scores_each_recipe_on_validation(tmp_path):
    out = run("augmentation_robustness.py", "--quick", "--seeds", "1", cwd=tmp_path)
    rows = table_rows(out)
    assert rows["seed"] == [
        "augmentation",
        "training s",
        "clean",
        "corruption mean",
        "lowest kind",
    ]
    assert rows["gaussian noise"] and len(rows["gaussian noise"]) == 2
