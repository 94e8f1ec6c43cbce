"""How the shipped model, the seed CNN and Keras's example convnet read disturbed digits.

    DIGITLIB_DATA_DIR=../shared/data/mnist python benchmarks/robustness_benchmark.py

Loads the shipped model (``Recognizer.load()``), trains the seed CNN and Keras's "simple MNIST
convnet" in the run (seeded, through ``digitlib.training.train``, as the training benchmark
does), and prints two Markdown tables for benchmarks/RESULTS.md:

1. model alone on 28x28 input: accuracy on each kind of ``digitlib.robustness.CORRUPTIONS`` (the
   MNIST test digits, spread evenly over three severities), the mean over kinds, and the clean
   test accuracy, for the three models side by side;
2. the whole pipeline (``Recognizer``, as the demo reads) with the shipped model: MNIST-form test
   digits against the model alone, sketchpad drawings, and photos on plain, ruled and squared
   paper (black or blue ballpoint, uneven light, JPEG), at random size and place.

``--split validation`` scores on the held-out 10% of the training set instead of the test set
(how a training recipe is chosen); ``--extra NAME=PATH`` adds the column of a saved model
(its .weights.h5 and card); ``--quick``
runs everything on the quick sample with one epoch of training, as a smoke test.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from digitlib import Recognizer, config, data, models, robustness  # noqa: E402
from digitlib.robustness import corrupted_sets, corruption_scores, pipeline_scores  # noqa: E402
from digitlib.training import train  # noqa: E402

#: The two comparison models' epochs, as in the training benchmark.
EPOCHS = {"seed": 10, "keras_example": 15}
#: How many test digits each pipeline suite renders (the full set for MNIST-form input).
PHOTOS = {False: 2000, True: 200}


def _extra(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {text!r}")
    return name, path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="quick sample, 1 epoch each")
    parser.add_argument("--split", choices=("test", "validation"), default="test")
    parser.add_argument("--extra", type=_extra, action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--skip-training", action="store_true", help="the shipped model only")
    parser.add_argument("--seed", type=int, default=0, help="seed of the disturbances")
    args = parser.parse_args()
    quick = config.is_quick(args.quick or None)

    (x_train, y_train), (x_test, y_test) = data.load_mnist(quick=quick)
    if args.split == "validation":
        (x_train, y_train), (x_test, y_test) = data.train_val_split(x_train, y_train)
    shipped = Recognizer.load()
    columns = {"shipped": shipped.model}
    for name, path in args.extra:
        columns[name] = Recognizer.load(path).model
    for name in [] if args.skip_training else list(EPOCHS):
        epochs = 1 if quick else EPOCHS[name]
        print(f"training {name} for {epochs} epochs...", flush=True)
        model = models.build(name, seed=config.SEED)
        columns[name] = train(model, x_train, y_train, epochs=epochs, quick=quick, verbose=0).model

    start = time.perf_counter()
    sets = corrupted_sets(x_test, seed=args.seed)
    scores = {name: corruption_scores(m, sets, y_test) for name, m in columns.items()}
    print(f"\n{len(y_test):,} {args.split} digits per kind, disturbed at severities 1-3 in turn.\n")
    print("| disturbance | family | " + " | ".join(columns) + " |")
    print("| --- | --- |" + " ---: |" * len(columns))
    for kind in [*robustness.CORRUPTIONS, "mean", "clean"]:
        family = robustness.CORRUPTIONS[kind].family if kind in robustness.CORRUPTIONS else ""
        cells = " | ".join(f"{scores[n][kind]:.4f}" for n in columns)
        bold = "**" if kind in ("mean", "clean") else ""
        print(f"| {bold}{kind}{bold} | {family} | {cells} |")
    worst = {n: min((s[k], k) for k in robustness.CORRUPTIONS) for n, s in scores.items()}
    print(
        "\nLowest kind: " + "; ".join(f"{n} {acc:.4f} ({kind})" for n, (acc, kind) in worst.items())
    )

    photos = PHOTOS[quick]
    pipe = pipeline_scores(shipped, x_test, y_test, photos, seed=args.seed)
    print(
        f"\nShipped model through Recognizer: {len(y_test):,} MNIST-form {args.split} digits; "
        f"{photos:,} digits per drawing/photo suite.\n"
    )
    print("| input | accuracy |")
    print("| --- | ---: |")
    for name, acc in pipe.items():
        print(f"| {name} | {acc:.4f} |")
    print(f"\n({time.perf_counter() - start:.0f} s to disturb, render and score)")


if __name__ == "__main__":
    main()
