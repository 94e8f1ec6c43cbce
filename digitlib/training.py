"""Training: one seeded code path for the book's full runs and the quick runs the tests use."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import keras
import numpy as np

from . import config
from .data import make_dataset, train_val_split
from .models import with_augmentation

#: Epochs when none are given: full mode trains for real (the shipped model's 30), quick mode
#: only shows the path works.
FULL_EPOCHS = 30
QUICK_EPOCHS = 3


@dataclass
class TrainResult:
    """What ``train`` returns: the trained model (best weights on validation) and its story."""

    model: keras.Model
    history: dict[str, list[float]]
    seconds: float
    best_epoch: int
    val_accuracy: float | None  # None when trained on all the data (``val_fraction=0``)
    epochs_run: int
    val_split: tuple[np.ndarray, np.ndarray] = field(repr=False)
    #: First and last epoch whose weights were averaged into the model, or None if not averaged.
    averaged_epochs: tuple[int, int] | None = None


class _LearningRateLog(keras.callbacks.Callback):
    """Record the learning rate each epoch ends with, so the schedule can be plotted."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            lr = self.model.optimizer.learning_rate
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(lr))


class _WeightAverage(keras.callbacks.Callback):
    """Add up the weights at the end of every epoch from ``first_epoch`` (counted from 1) on."""

    def __init__(self, first_epoch: int):
        super().__init__()
        self.first_epoch = first_epoch
        self.total: list[np.ndarray] | None = None
        self.epochs: list[int] = []

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 < self.first_epoch:
            return
        weights = self.model.get_weights()
        if self.total is None:
            self.total = [w.astype(np.float64) for w in weights]
        else:
            for total, w in zip(self.total, weights, strict=True):
                total += w
        self.epochs.append(epoch + 1)

    def average(self) -> list[np.ndarray]:
        assert self.total is not None
        return [(t / len(self.epochs)).astype(np.float32) for t in self.total]


def one_cycle(steps: int, peak: float = 3e-3, warmup_fraction: float = 0.07):
    """Warm up linearly from peak/10 to ``peak``, then follow a cosine down to zero."""
    warmup = max(1, int(steps * warmup_fraction))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak / 10,
        decay_steps=max(1, steps - warmup),
        alpha=0.0,
        warmup_target=peak,
        warmup_steps=warmup,
    )


def _one_hot(dataset):
    """Integer labels to one-hot rows, which label smoothing needs."""
    import tensorflow as tf

    return dataset.map(
        lambda x, y: (x, tf.one_hot(tf.cast(y, tf.int32), 10)), num_parallel_calls=tf.data.AUTOTUNE
    )


def default_epochs(quick: bool | None = None) -> int:
    return QUICK_EPOCHS if config.is_quick(quick) else FULL_EPOCHS


def train(
    model: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    epochs: int | None = None,
    batch_size: int = 128,
    val_fraction: float = 0.1,
    peak_lr: float = 3e-3,
    label_smoothing: float = 0.1,
    patience: int = 5,
    average_last: int = 0,
    augment: bool = False,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    seed: int = config.SEED,
    quick: bool | None = None,
    verbose: int | str = "auto",
) -> TrainResult:
    """Train ``model`` on uint8 MNIST images with labels; return the best model on validation.

    A stratified validation split is taken from the training set (never the test set). The
    learning rate follows a one-cycle schedule; the targets are smoothed (0.91 for the true digit,
    0.01 for the others with ``label_smoothing=0.1``), which keeps the network from pushing its
    probabilities to extremes. Training stops early when the validation loss has not improved
    for ``patience`` epochs, and the best weights on validation loss are kept; both judge only
    the second half of the schedule, where the learning rate falls. Validation loss, not
    accuracy, decides: on 6,000 images accuracy moves in steps of a few images and would pick
    epochs by chance. ``verbose`` is Keras's: 1 a progress bar, 2 a line per epoch, 0 silent;
    ``callbacks`` are more Keras callbacks to run.

    ``average_last=k`` averages the weights the last ``k`` epochs of the schedule end with (the
    batch-norm statistics too), a cheap ensemble of points the low learning rate of the cosine's
    tail visits (a run shorter than ``k + 1`` epochs averages all but its first). With a
    validation split the average is kept only if its validation loss beats the best single
    epoch's; ``averaged_epochs`` says whether it was.

    ``augment=True`` puts ``models.augmentation`` in front of the network while it trains; the
    model returned is the network alone, with no training-only layers, ready to save.

    ``val_fraction=0`` is the last step once every choice has been made on validation: train on
    all the training images for the chosen number of epochs, with nothing held out, and keep the
    final weights (there is nothing to stop early on).
    """
    if average_last < 0:
        raise ValueError(f"average_last must be 0 (no averaging) or more, not {average_last}")
    config.set_seed(seed)
    epochs = epochs or default_epochs(quick)
    holdout = val_fraction > 0
    if holdout:
        (x_tr, y_tr), (x_val, y_val) = train_val_split(x_train, y_train, val_fraction, seed)
    else:
        (x_tr, y_tr), (x_val, y_val) = (x_train, y_train), (x_train[:0], y_train[:0])
    train_ds = _one_hot(make_dataset(x_tr, y_tr, batch_size, shuffle=True, seed=seed))
    val_ds = _one_hot(make_dataset(x_val, y_val, batch_size=512)) if holdout else None

    # The network itself is returned; augmentation is only a wrapper that trains it.
    trained = with_augmentation(model, seed) if augment else model
    steps = math.ceil(len(x_tr) / batch_size) * epochs
    trained.compile(
        optimizer=keras.optimizers.Adam(one_cycle(steps, peak_lr)),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
    )
    run_callbacks: list[keras.callbacks.Callback] = [_LearningRateLog(), *callbacks]
    # Never the first epoch: a short (quick) run averages what it can and validation decides.
    average_last = min(average_last, epochs - 1)
    averager = _WeightAverage(epochs - average_last + 1) if average_last > 1 else None
    if averager is not None:
        run_callbacks.append(averager)
    # The first half of a one-cycle schedule runs at a high learning rate, where the validation
    # loss stalls for epochs before the cosine's tail brings it down: stopping or choosing an
    # epoch there would judge the run before it anneals (a 30-epoch run once stopped at epoch 12).
    first_judged = epochs // 2
    if holdout:
        run_callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=patience,
                restore_best_weights=True,
                start_from_epoch=first_judged,
            )
        )
    start = time.perf_counter()
    fit = trained.fit(
        train_ds,
        validation_data=val_ds,
        epochs=epochs,
        callbacks=run_callbacks,
        verbose=verbose,
        shuffle=False,  # the tf.data pipeline already shuffles, seeded, every epoch
    )
    history = {k: [float(v) for v in vs] for k, vs in fit.history.items()}
    if holdout:  # the epoch early stopping restored
        best = first_judged + int(np.argmin(history["val_loss"][first_judged:]))
    else:
        best = len(fit.epoch) - 1
    val_accuracy = history["val_accuracy"][best] if holdout else None
    averaged_epochs = None
    if averager is not None and len(averager.epochs) > 1:
        kept = trained.get_weights()  # the best epoch's, restored by early stopping
        trained.set_weights(averager.average())
        averaged_epochs = (averager.epochs[0], averager.epochs[-1])
        if holdout:
            loss, accuracy = trained.evaluate(val_ds, verbose=0)
            if loss < history["val_loss"][best]:
                val_accuracy = float(accuracy)
            else:
                trained.set_weights(kept)
                averaged_epochs = None
    seconds = time.perf_counter() - start
    return TrainResult(
        model=model,
        history=history,
        seconds=seconds,
        best_epoch=best + 1,
        val_accuracy=val_accuracy,
        epochs_run=len(fit.epoch),
        val_split=(x_val, y_val),
        averaged_epochs=averaged_epochs,
    )
