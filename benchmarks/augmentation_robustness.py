"""Which training augmentation makes the CNN robust: chosen on the validation split, never test.

    DIGITLIB_DATA_DIR=../shared/data/mnist python benchmarks/augmentation_robustness.py \
        --train-size 12000 --epochs 4 --seeds 42

For each seed, trains ``build_cnn`` once per kind in ``digitlib.models.AUGMENTATIONS``
(the same split, schedule and initial weights for each), then scores every run on the validation
split, clean and disturbed by every kind in ``digitlib.robustness.CORRUPTIONS``. Prints one
Markdown row per run: clean validation accuracy, the corruption mean, the lowest kind, and the
kinds that differ most between the augmentations. ``--train-size`` trains on the first images
of the training part only, to compare recipes when a full run does not fit the time there is.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from digitlib import config, data, models, robustness  # noqa: E402
from digitlib.robustness import corrupted_sets, corruption_scores  # noqa: E402
from digitlib.training import train  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="quick sample, 1 epoch")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--train-size", type=int, default=None, metavar="N")
    parser.add_argument("--seeds", type=int, nargs="+", default=[config.SEED])
    parser.add_argument("--augment", nargs="+", default=list(models.AUGMENTATIONS))
    args = parser.parse_args()
    quick = config.is_quick(args.quick or None)
    epochs = args.epochs or (1 if quick else 4)

    (x_all, y_all), _ = data.load_mnist(quick=quick)
    rows = []
    for seed in args.seeds:
        (x_tr, y_tr), (x_val, y_val) = data.train_val_split(x_all, y_all, 0.1, seed)
        x_tr, y_tr = x_tr[: args.train_size], y_tr[: args.train_size]
        sets = corrupted_sets(x_val, seed=seed)
        for augment in args.augment:
            print(f"seed {seed}: training with {augment} augmentation...", flush=True)
            # The split is made above, so train() holds out nothing: no epoch is chosen on the
            # validation images that score the recipes.
            result = train(
                models.build("cnn", seed=seed),
                x_tr,
                y_tr,
                epochs=epochs,
                val_fraction=0,
                augment=augment,
                seed=seed,
                verbose=2,
            )
            scores = corruption_scores(result.model, sets, y_val)
            rows.append((seed, augment, result.seconds, scores))

    kinds = list(robustness.CORRUPTIONS)
    print(
        f"\n{len(y_tr):,} training images, {epochs} epochs; {len(y_val):,} validation digits "
        "per kind, severities 1-3 in turn.\n"
    )
    print("| seed | augmentation | training s | clean | corruption mean | lowest kind |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    for seed, augment, seconds, s in rows:
        low = min(kinds, key=lambda k: s[k])
        print(
            f"| {seed} | {augment} | {seconds:.0f} | {s['clean']:.4f} | {s['mean']:.4f} | "
            f"{low} {s[low]:.4f} |"
        )
    print("\n| kind | " + " | ".join(f"{a} (seed {s})" for s, a, _, _ in rows) + " |")
    print("| --- |" + " ---: |" * len(rows))
    for kind in kinds:
        print(f"| {kind} | " + " | ".join(f"{r[3][kind]:.4f}" for r in rows) + " |")


if __name__ == "__main__":
    main()
