"""Train a model from the command line and write its model card beside it.

    python -m digitlib.train --model cnn --out models/digit_cnn.keras

The card (``models/digit_cnn.json``) records what was trained, how, on what, and how well, with
the exact command that reproduces it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import sys
from importlib import metadata
from pathlib import Path

from . import config, data, models
from .evaluation import evaluate
from .training import default_epochs, train


def card_path(model_path: Path | str) -> Path:
    """The model card that sits beside a saved model."""
    return Path(model_path).with_suffix(".json")


def _versions() -> dict[str, str]:
    names = ("digitlib", "tensorflow", "keras", "numpy")
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_card(
    model_path: Path, *, model_name: str, result, test, quick: bool, command: str
) -> dict:
    """Write the model card JSON beside ``model_path`` and return it."""
    model = result.model
    card = {
        "model": model_name,
        "architecture": [
            {"name": layer.name, "type": type(layer).__name__, "params": layer.count_params()}
            for layer in model.layers
        ],
        "parameters": int(model.count_params()),
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "averaged_epochs": (
            None if result.averaged_epochs is None else list(result.averaged_epochs)
        ),
        "training_seconds": round(result.seconds, 1),
        "cpu_cores": os.cpu_count(),
        "platform": platform.platform(),
        "validation_accuracy": (
            None if result.val_accuracy is None else round(result.val_accuracy, 5)
        ),
        "test_accuracy": round(test.accuracy, 5),
        "test_examples": int(len(test.y_true)),
        "per_class_accuracy": {
            str(d): round(float(a), 5) for d, a in enumerate(test.per_class_accuracy)
        },
        "quick": quick,
        "data": "quick sample (digitlib/_data/mnist_quick.npz)" if quick else "MNIST",
        "data_md5": (
            {"mnist_quick.npz": data.file_md5(data.QUICK_SAMPLE)}
            if quick
            else {f.name: f.md5 for f in data.FILES}
        ),
        "versions": _versions(),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "input": "float32 (N, 28, 28, 1) in [0, 1], white ink on black (MNIST form)",
        "output": "softmax probabilities over the digits 0-9",
    }
    card_path(model_path).write_text(json.dumps(card, indent=2) + "\n")
    return card


def _widths(text: str) -> tuple[int, int, int]:
    """Parse ``--widths 32,64,128``: three positive filter counts."""
    try:
        widths = tuple(int(w) for w in text.split(","))
    except ValueError:
        widths = ()
    if len(widths) != 3 or min(widths) < 1:
        raise argparse.ArgumentTypeError(
            "expected three positive whole numbers separated by commas, like 32,64,128; "
            f"got {text!r}"
        )
    return widths


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m digitlib.train", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--model", default="cnn", choices=sorted(models.BUILDERS))
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help=f"default {default_epochs(False)} (quick mode: {default_epochs(True)})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to save the .keras file (default: models/digit_<model>.keras; "
        "in quick mode under the cache, never the repository)",
    )
    parser.add_argument("--quick", action="store_true", help="train on the quick sample")
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=0.1,
        help="share of the training images held out for validation (default 0.1); 0 trains "
        "on all of them for the given epochs, once the recipe has been chosen on validation",
    )
    parser.add_argument(
        "--average-last",
        type=int,
        default=0,
        metavar="K",
        help="average the weights of the last K epochs (kept only if validation says it helps); "
        "default 0, no averaging",
    )
    parser.add_argument(
        "--widths",
        type=_widths,
        default=None,
        metavar="W1,W2,W3",
        help="filters of the cnn's three convolution stages (default "
        + ",".join(map(str, models.CNN_WIDTHS))
        + ")",
    )
    parser.add_argument(
        "--augment",
        choices=models.AUGMENTATIONS,
        default=None,
        help="the cnn's training-time augmentation (default geometric: rotations, shifts, "
        "zooms; robust adds noise, specks, blur, strokes, contrast, paper lines, shadows)",
    )
    parser.add_argument("--seed", type=int, default=config.SEED)
    parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2))
    args = parser.parse_args(argv)
    for option in ("widths", "augment"):
        if getattr(args, option) is not None and args.model != "cnn":
            parser.error(f"--{option} is an option of --model cnn, not of --model {args.model}")

    quick = config.is_quick(args.quick or None)
    out = args.out or config.output_dir("models", quick) / f"digit_{args.model}.keras"
    out.parent.mkdir(parents=True, exist_ok=True)

    # Only what was given goes to the builder, so the other models never see --widths.
    options = {k: v for k, v in (("widths", args.widths), ("augment", args.augment)) if v}
    (x_train, y_train), (x_test, y_test) = data.load_mnist(quick=quick)
    result = train(
        models.build(args.model, seed=args.seed, **options),
        x_train,
        y_train,
        epochs=args.epochs,
        val_fraction=args.val_fraction,
        average_last=args.average_last,
        seed=args.seed,
        quick=quick,
        verbose=args.verbose,
    )
    result.model.save(out)
    test = evaluate(result.model, x_test, y_test)
    command = "python -m digitlib.train " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    card = write_card(
        out, model_name=args.model, result=result, test=test, quick=quick, command=command.strip()
    )
    val = card["validation_accuracy"]
    print(
        f"saved {out} and {card_path(out).name}: {card['parameters']:,} parameters, "
        f"{card['training_seconds']:.0f} s, "
        + (f"validation {val:.4f}" if val is not None else "no validation (all data)")
        + f", test {card['test_accuracy']:.4f}"
    )
    return card


if __name__ == "__main__":
    main()
