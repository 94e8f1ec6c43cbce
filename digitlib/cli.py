"""Train a model from the command line, save its weights and write its model card beside them.

Chapter 4 explains the training it runs and shows the shipped model's card.

    python -m digitlib.cli --model cnn --augment robust --out models/digit_cnn.weights.h5

The card (``models/digit_cnn.json``, a ``digitlib.saving.ModelCard``) records which network was
trained, how, on what, and how well, with the exact command that reproduces it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import sys
from importlib import metadata
from pathlib import Path

from . import config, data, models, saving
from .evaluation import evaluate
from .saving import ModelCard
from .training import default_epochs, train


def _versions() -> dict[str, str]:
    names = ("digitlib", "tensorflow", "keras", "numpy")
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def make_card(
    *, model_name: str, options: dict, augment: bool | str, result, test, quick: bool, command: str
) -> ModelCard:
    """The card of a model the command line has trained and tested."""
    model = result.model
    return ModelCard(
        model=model_name,
        options=options,
        parameters=int(model.count_params()),
        architecture=[
            {"name": layer.name, "type": type(layer).__name__, "params": layer.count_params()}
            for layer in model.layers
        ],
        augment=augment,
        epochs_run=result.epochs_run,
        best_epoch=result.best_epoch,
        averaged_epochs=None if result.averaged_epochs is None else list(result.averaged_epochs),
        training_seconds=round(result.seconds, 1),
        cpu_cores=os.cpu_count(),
        platform=platform.platform(),
        validation_accuracy=None if result.val_accuracy is None else round(result.val_accuracy, 5),
        test_accuracy=round(test.accuracy, 5),
        test_examples=int(len(test.y_true)),
        per_class_accuracy={
            str(d): round(float(a), 5) for d, a in enumerate(test.per_class_accuracy)
        },
        quick=quick,
        data="quick sample (digitlib/_data/mnist_quick.npz)" if quick else "MNIST",
        data_md5=(
            {"mnist_quick.npz": data.file_md5(data.QUICK_SAMPLE)}
            if quick
            else {f.name: f.md5 for f in data.FILES}
        ),
        versions=_versions(),
        date=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        command=command,
    )


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


def make_parser() -> argparse.ArgumentParser:
    """The command line's options (``python -m digitlib.cli --help`` prints them)."""
    parser = argparse.ArgumentParser(
        prog="python -m digitlib.cli", description=__doc__.split("\n")[0]
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
        help="where to save the weights, a .weights.h5 file (default: "
        "models/digit_<model>.weights.h5; in quick mode under the cache, never the repository)",
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
        "--augment",
        nargs="?",
        const="geometric",
        default=None,
        choices=models.AUGMENTATIONS,
        help="train on disturbed digits (digitlib.models.augmentation): alone or 'geometric', "
        "randomly rotated, shifted and zoomed; 'robust' adds shear, noise, specks, blur, stroke "
        "width, contrast, paper lines and shadows",
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
    parser.add_argument("--seed", type=int, default=config.SEED)
    parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2))
    return parser


def main(argv: list[str] | None = None) -> ModelCard:
    """Train, test, save the weights and write the card; returns the card."""
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.widths is not None and args.model != "cnn":
        parser.error(f"--widths is an option of --model cnn, not of --model {args.model}")

    # The card says true for the geometric augmentation, as before there was a choice.
    augment = {None: False, "geometric": True}.get(args.augment, args.augment)
    quick = config.is_quick(args.quick or None)
    out = args.out or config.output_dir("models", quick) / f"digit_{args.model}.weights.h5"
    if not out.name.endswith(saving.WEIGHTS_SUFFIX):
        parser.error(f"--out must end in {saving.WEIGHTS_SUFFIX}, like models/digit_cnn.weights.h5")

    # Only what was given goes to the builder, so the other models never see --widths.
    options = {} if args.widths is None else {"widths": list(args.widths)}
    (x_train, y_train), (x_test, y_test) = data.load_mnist(quick=quick)
    result = train(
        models.build(args.model, seed=args.seed, **options),
        x_train,
        y_train,
        epochs=args.epochs,
        val_fraction=args.val_fraction,
        average_last=args.average_last,
        augment=augment,
        seed=args.seed,
        quick=quick,
        verbose=args.verbose,
    )
    test = evaluate(result.model, x_test, y_test)
    command = "python -m digitlib.cli " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    card = make_card(
        model_name=args.model,
        options=options,
        augment=augment,
        result=result,
        test=test,
        quick=quick,
        command=command.strip(),
    )
    saving.save(result.model, out, card)
    val = card.validation_accuracy
    print(
        f"saved {out} and {ModelCard.path_for(out).name}: {card.parameters:,} parameters, "
        f"{card.training_seconds:.0f} s, "
        + (f"validation {val:.4f}" if val is not None else "no validation (all data)")
        + f", test {card.test_accuracy:.4f}"
    )
    return card


if __name__ == "__main__":
    main()
