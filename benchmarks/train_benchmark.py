"""Train the seed CNN, Keras's example convnet and our CNN on this machine, in one run.

    DIGITLIB_DATA_DIR=../shared/data/mnist python benchmarks/train_benchmark.py

Prints a side-by-side table (parameters, seconds per epoch, total training seconds, validation
and test accuracy) as Markdown, ready for benchmarks/RESULTS.md. Every model goes through the
same ``digitlib.training.train`` (same split, schedule and seed, which is set before each model is
built, so its initial weights are the command line's too); only the epochs differ, and our CNN
also averages its last epochs' weights if validation prefers that: it trains as ``make train``
trains the shipped model.
"""

from __future__ import annotations

import argparse
import os
import platform

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from digitlib import config, data, models  # noqa: E402
from digitlib.evaluation import evaluate  # noqa: E402
from digitlib.training import FULL_EPOCHS, train  # noqa: E402

# Our CNN as the shipped model was trained: build_cnn()'s widths, the full schedule
# (FULL_EPOCHS), --average-last 3 and --augment robust.
EPOCHS = {"seed": 10, "keras_example": 15, "cnn": FULL_EPOCHS}
AVERAGE_LAST = {"cnn": 3}
AUGMENT = {"cnn": "robust"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=list(EPOCHS), choices=list(EPOCHS))
    parser.add_argument("--quick", action="store_true", help="the quick sample, 1 epoch each")
    args = parser.parse_args()

    (x_train, y_train), (x_test, y_test) = data.load_mnist(quick=args.quick or None)
    rows = []
    for name in args.models:
        epochs = 1 if args.quick else EPOCHS[name]
        print(f"training {name} for {epochs} epochs...", flush=True)
        result = train(
            models.build(name, seed=config.SEED),
            x_train,
            y_train,
            epochs=epochs,
            average_last=AVERAGE_LAST.get(name, 0),
            augment=AUGMENT.get(name, False),
            quick=args.quick,
            verbose=2,
        )
        test = evaluate(result.model, x_test, y_test)
        rows.append(
            (
                name,
                result.model.count_params(),
                result.epochs_run,
                result.seconds / result.epochs_run,
                result.seconds,
                result.val_accuracy,
                test.accuracy,
            )
        )

    print(
        f"\nMachine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"{platform.platform()}; {len(y_train):,} training images (10% held out for "
        f"validation), {len(y_test):,} test images.\n"
    )
    print("| model | parameters | epochs | s/epoch | training s | validation acc | test acc |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, params, epochs, per_epoch, total, val, test_acc in rows:
        print(
            f"| {name} | {params:,} | {epochs} | {per_epoch:.1f} | {total:.0f} | "
            f"{val:.4f} | {test_acc:.4f} |"
        )


if __name__ == "__main__":
    main()
