"""Does averaging weights help our CNN? One run scores the plain model and its averages.

    DIGITLIB_DATA_DIR=../shared/data/mnist python benchmarks/averaging_benchmark.py --seeds 1 2 3

For each seed of the initial weights (the split, data order and augmentation stay seed 42),
trains the recipe of the study in ``benchmarks/RESULTS.md`` once (the 24-48-96 network, 18 epochs)
and counts validation and test errors for: the final weights; an exponential moving average of
the weights (Adam's ``use_ema``, momentum 0.999, about the last 2.4 epochs); and the mean of the
weights the last 2, 3 and 5 epochs ended with. Because every variant comes from the same run,
the comparison is paired: the initialisation's noise, several test images, does not enter it.
Prints one JSON line per seed and a Markdown table. About 13-25 minutes per seed on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from digitlib import config, data, models, training  # noqa: E402
from digitlib.evaluation import evaluate  # noqa: E402

LAST = (2, 3, 5)
#: The study's network and schedule, pinned so a rerun repeats its numbers in RESULTS.md.
WIDTHS, EPOCHS = (24, 48, 96), 18


def run(seed: int, epochs: int, quick: bool) -> dict:
    (x, y), (x_test, y_test) = data.load_mnist(quick=quick or None)
    config.set_seed(config.SEED)
    pipes = training.make_pipelines(x, y, 0.1, 128, config.SEED)
    (x_val, y_val) = pipes.val_split
    network = models.build("cnn", seed=seed, widths=WIDTHS)
    model = models.with_augmentation(network, config.SEED)
    training.compile_for_training(
        model, pipes.steps_per_epoch * epochs, use_ema=True, ema_momentum=0.999
    )

    def errors() -> tuple[int, int]:
        val, test = evaluate(model, x_val, y_val), evaluate(model, x_test, y_test)
        return len(val.mistakes()), len(test.mistakes())

    snapshots: list[list[np.ndarray]] = []
    per_epoch: list[tuple[int, int]] = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(model.get_weights())
            per_epoch.append(errors())
            print(f"seed {seed} epoch {epoch + 1}: validation/test errors {per_epoch[-1]}")

    start = time.perf_counter()
    model.fit(pipes.train, epochs=epochs, verbose=0, callbacks=[Record()])
    # fit ends by copying the moving average into the model (Keras's finalize_variable_values)
    result = {"seed": seed, "epochs": epochs, "seconds": round(time.perf_counter() - start)}
    result.update(per_epoch=per_epoch, final=per_epoch[-1], ema=errors())
    for k in LAST:
        model.set_weights([np.mean(ws, axis=0) for ws in zip(*snapshots[-k:], strict=True)])
        result[f"last{k}"] = errors()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--quick", action="store_true", help="the quick sample, 3 epochs")
    args = parser.parse_args()
    epochs = 3 if args.quick else EPOCHS
    columns = ["final", "ema", *(f"last{k}" for k in LAST)]
    rows = []
    for seed in args.seeds:
        result = run(seed, epochs, args.quick)
        print(json.dumps(result), flush=True)
        rows.append(result)
    print("\nvalidation / test errors\n")
    print("| initial weights | " + " | ".join(columns) + " |")
    print("| --- |" + " ---: |" * len(columns))
    for r in rows:
        print(
            f"| seed {r['seed']} | " + " | ".join(f"{r[c][0]} / {r[c][1]}" for c in columns) + " |"
        )
    totals = [[sum(r[c][i] for r in rows) for i in (0, 1)] for c in columns]
    print("| total | " + " | ".join(f"{v} / {t}" for v, t in totals) + " |")


if __name__ == "__main__":
    main()
