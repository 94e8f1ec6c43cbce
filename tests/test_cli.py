"""The command line: it trains, saves the weights and writes the model card beside them."""

from __future__ import annotations

import importlib.util
import json
import re

import numpy as np
import pytest

from digitlib import cli, config, models, saving
from digitlib.saving import ModelCard
from digitlib.training import default_epochs


def test_command_line_run_is_repeatable(tmp_path):
    """The command line seeds before it builds, so its card's command reproduces the run."""
    cards, weights = [], []
    for run in ("a", "b"):
        models.build_cnn()  # moves the global random state, as an earlier run in the process would
        out = tmp_path / run / "digit_keras_example.weights.h5"
        argv = ["--model", "keras_example", "--quick", "--epochs", "1", "--out", str(out)]
        cards.append(cli.main([*argv, "--verbose", "0"]))
        weights.append(saving.load(out).get_weights())
    assert cards[0].validation_accuracy == pytest.approx(cards[1].validation_accuracy)
    for wa, wb in zip(*weights, strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-4, atol=1e-6)


def test_command_line_writes_model_and_card(tmp_path, capsys):
    out = tmp_path / "m" / "digit_seed.weights.h5"
    card = cli.main(
        ["--model", "seed", "--quick", "--epochs", "1", "--out", str(out), "--verbose", "0"]
    )
    assert out.is_file()
    saved = json.loads(ModelCard.path_for(out).read_text())
    assert ModelCard(**saved) == card and saved["model"] == "seed" and saved["options"] == {}
    for key in (
        "architecture",
        "parameters",
        "epochs_run",
        "training_seconds",
        "cpu_cores",
        "validation_accuracy",
        "test_accuracy",
        "per_class_accuracy",
        "data_md5",
        "versions",
        "date",
        "command",
    ):
        assert key in saved, key
    assert saved["parameters"] == 1_256_080 and saved["quick"] is True
    assert saved["command"].startswith("python -m digitlib.cli --model seed --quick")
    assert len(saved["per_class_accuracy"]) == 10
    assert "saved" in capsys.readouterr().out


def test_command_line_averages_when_asked(tmp_path):
    out = tmp_path / "digit_keras_example.weights.h5"
    argv = ["--model", "keras_example", "--quick", "--epochs", "3", "--val-fraction", "0"]
    averaged = cli.main([*argv, "--average-last", "2", "--out", str(out), "--verbose", "0"])
    assert averaged.averaged_epochs == [2, 3]
    assert averaged.command.endswith("--average-last 2 --out " + str(out) + " --verbose 0")
    plain = cli.main([*argv, "--out", str(tmp_path / "plain.weights.h5"), "--verbose", "0"])
    assert plain.averaged_epochs is None


def test_command_line_builds_the_widths_it_is_given(tmp_path):
    out = tmp_path / "narrow.weights.h5"
    argv = ["--model", "cnn", "--quick", "--epochs", "1", "--widths", "4,8,16", "--out", str(out)]
    card = cli.main([*argv, "--verbose", "0"])
    assert card.parameters == models.build_cnn(widths=(4, 8, 16)).count_params()
    assert card.parameters < models.build_cnn().count_params()
    conv1 = next(layer for layer in card.architecture if layer["name"] == "conv1")
    assert conv1["params"] == 4 * 5 * 5  # four 5x5 filters, no bias (batch norm shifts)
    assert "--widths 4,8,16" in card.command


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model", "seed", "--widths", "32,64,128"], "--widths is an option of --model cnn"),
        (["--widths", "32,64"], "three positive whole numbers"),
        (["--widths", "32,64,x"], "three positive whole numbers"),
        (["--widths", "0,64,128"], "three positive whole numbers"),
    ],
)
def test_command_line_refuses_widths_it_cannot_build(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([*argv, "--quick", "--epochs", "1"])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_quick_command_line_writes_outside_the_repository(isolated_env):
    card = cli.main(["--model", "keras_example", "--quick", "--epochs", "1", "--verbose", "0"])
    written = isolated_env / "digitlib" / "quick" / "models" / "digit_keras_example.weights.h5"
    assert written.is_file() and ModelCard.path_for(written).is_file()
    assert (
        card.command == "python -m digitlib.cli --model keras_example --quick --epochs 1 "
        "--verbose 0"
    )
    assert not (config.PROJECT_DIR / "models" / "digit_keras_example.weights.h5").exists()


def test_make_train_reruns_the_shipped_cards_command(shipped_card):
    command = shipped_card.command
    makefile = (config.PROJECT_DIR / "Makefile").read_text()
    recipe = re.search(r"^train:.*\n\t(.+)$", makefile, re.MULTILINE)
    assert recipe is not None and recipe.group(1).replace("$(PY)", "python") == command


def test_the_cli_defaults_and_the_training_benchmark_follow_the_shipped_recipe(shipped_card):
    """Without options the command line trains the shipped network for the shipped epochs, and the
    side-by-side benchmark trains our CNN as the shipped card's command did."""
    command = shipped_card.command
    widths = ",".join(map(str, models.CNN_WIDTHS))
    assert f"--epochs {default_epochs(False)} " in command and f"--widths {widths} " in command
    path = config.PROJECT_DIR / "benchmarks" / "train_benchmark.py"
    spec = importlib.util.spec_from_file_location("train_benchmark", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert f"--epochs {bench.EPOCHS['cnn']} " in command
    assert f"--average-last {bench.AVERAGE_LAST['cnn']} " in command
    assert f"--augment {bench.AUGMENT['cnn']} " in command
    assert ("--augment" in command.split()) == ("cnn" in bench.AUGMENT)


def test_command_line_trains_with_the_augmentation_it_is_named(tmp_path):
    parser = cli.make_parser()
    assert parser.parse_args(["--augment"]).augment == "geometric"
    assert parser.parse_args([]).augment is None
    out = tmp_path / "robust.weights.h5"
    argv = ["--model", "cnn", "--quick", "--epochs", "1", "--augment", "robust", "--out", str(out)]
    card = cli.main([*argv, "--verbose", "0"])
    assert card.augment == "robust" and ModelCard.read(out).augment == "robust"
