"""Training, as small steps a chapter can show one at a time, and ``train``, which runs them all.

One seeded code path serves the book's full runs and the quick runs the tests use.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from . import config
from .contract import NUM_CLASSES
from .data import train_val_split
from .models import with_augmentation
from .preprocess import to_model_input

#: Epochs when none are given: the shipped model's in full mode; quick mode shows the path.
FULL_EPOCHS = 16
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


class LearningRateLog(keras.callbacks.Callback):
    """Record the learning rate each epoch ends with, so the schedule can be plotted."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            lr = self.model.optimizer.learning_rate
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(lr))


class WeightAverage(keras.callbacks.Callback):
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


def default_epochs(quick: bool | None = None) -> int:
    return QUICK_EPOCHS if config.is_quick(quick) else FULL_EPOCHS


# The steps of a training run, in order; ``train`` below runs them all.


def make_dataset(
    x: np.ndarray,
    y: np.ndarray | None = None,
    batch_size: int = 128,
    shuffle: bool = False,
    seed: int = config.SEED,
    one_hot: bool = False,
):
    """A ``tf.data`` pipeline of model-ready batches: scaled, shuffled if asked, prefetched;
    ``one_hot=True`` turns the labels into one-hot rows, which label smoothing needs."""
    import tensorflow as tf

    inputs = to_model_input(x)
    ds = tf.data.Dataset.from_tensor_slices(inputs if y is None else (inputs, y))
    if shuffle:
        ds = ds.shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if one_hot and y is not None:
        ds = ds.map(lambda x, y: (x, tf.one_hot(tf.cast(y, tf.int32), NUM_CLASSES)))
    # No autotuning: on two cores, tearing down an epoch's iterator waited for its autotune
    # thread, leaving the CPU idle for up to 30 s at the start of an epoch.
    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.prefetch(2).with_options(options)


@dataclass
class Pipelines:
    """The batches a run trains and validates on, and the validation images themselves."""

    train: Any
    val: Any  # None when nothing is held out
    val_split: tuple[np.ndarray, np.ndarray]
    steps_per_epoch: int


def make_pipelines(
    x: np.ndarray, y: np.ndarray, val_fraction: float, batch_size: int, seed: int
) -> Pipelines:
    """Hold out a stratified ``val_fraction`` (none if 0) and batch both parts, one-hot."""
    if val_fraction > 0:
        (x_tr, y_tr), (x_val, y_val) = train_val_split(x, y, val_fraction, seed)
    else:
        (x_tr, y_tr), (x_val, y_val) = (x, y), (x[:0], y[:0])
    return Pipelines(
        train=make_dataset(x_tr, y_tr, batch_size, shuffle=True, seed=seed, one_hot=True),
        val=make_dataset(x_val, y_val, 512, one_hot=True) if len(y_val) else None,
        val_split=(x_val, y_val),
        steps_per_epoch=math.ceil(len(y_tr) / batch_size),
    )


def compile_for_training(
    model: keras.Model,
    steps: int,
    peak_lr: float = 3e-3,
    label_smoothing: float = 0.1,
    **adam_options,
) -> keras.Model:
    """The book's recipe: Adam on a one-cycle schedule of ``steps`` steps, smoothed targets;
    ``adam_options`` go to ``keras.optimizers.Adam`` (``use_ema=True``, say)."""
    model.compile(
        optimizer=keras.optimizers.Adam(one_cycle(steps, peak_lr), **adam_options),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
    )
    return model


def judged_from(epochs: int) -> int:
    """The first epoch (from 0) that early stopping and the choice of epoch may judge: in the
    first half of a one-cycle schedule the learning rate is high and the validation loss can
    stall for epochs before the cosine's tail brings it down."""
    return epochs // 2


def training_callbacks(
    epochs: int,
    holdout: bool,
    patience: int,
    average_last: int,
    extra: Sequence[keras.callbacks.Callback] = (),
) -> tuple[list[keras.callbacks.Callback], WeightAverage | None]:
    """The learning-rate log, ``extra``, the weight averager and early stopping (if validating).

    ``extra`` run before early stopping, so they see (and may rewrite) each epoch's logs first.
    """
    # Never the first epoch: a short (quick) run averages what it can and validation decides.
    average_last = min(average_last, epochs - 1)
    averager = WeightAverage(epochs - average_last + 1) if average_last > 1 else None
    callbacks = [LearningRateLog(), *extra, *([averager] if averager else [])]
    if holdout:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                patience=patience, restore_best_weights=True, start_from_epoch=judged_from(epochs)
            )
        )
    return callbacks, averager


def keep_average_if_better(
    trained: keras.Model, averager: WeightAverage, val_ds, best_val_loss: float
) -> float | None:
    """Put the averaged weights into ``trained``; keep them if they beat ``best_val_loss``.

    Returns the average's validation accuracy if it was kept, else None (weights restored).
    """
    kept = trained.get_weights()
    trained.set_weights(averager.average())
    loss, accuracy = trained.evaluate(val_ds, verbose=0)
    if loss < best_val_loss:
        return float(accuracy)
    trained.set_weights(kept)
    return None


def select_weights(
    trained: keras.Model,
    history: dict[str, list[float]],
    epochs: int,
    averager: WeightAverage | None,
    val_ds,
) -> tuple[int, float | None, tuple[int, int] | None]:
    """After ``fit``: the best epoch (from 1), its validation accuracy, and the averaged epochs.

    With validation data, the epoch early stopping restored (lowest validation loss from
    ``judged_from(epochs)`` on), then ``keep_average_if_better``; without, the last epoch, and
    the average of the last epochs' weights if there is one.
    """
    if val_ds is None:
        best, val_accuracy = len(history["loss"]) - 1, None
    else:
        first = judged_from(epochs)
        best = first + int(np.argmin(history["val_loss"][first:]))
        val_accuracy = history["val_accuracy"][best]
    if averager is None or len(averager.epochs) < 2:
        return best + 1, val_accuracy, None
    averaged = (averager.epochs[0], averager.epochs[-1])
    if val_ds is None:
        trained.set_weights(averager.average())
        return best + 1, None, averaged
    accuracy = keep_average_if_better(trained, averager, val_ds, history["val_loss"][best])
    return (best + 1, val_accuracy, None) if accuracy is None else (best + 1, accuracy, averaged)


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
    augment: bool | str = False,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    seed: int = config.SEED,
    quick: bool | None = None,
    verbose: int | str = "auto",
) -> TrainResult:
    """Train ``model`` on uint8 MNIST images with labels; return the best model on validation.

    Runs the steps above, which chapter 4 explains: ``make_pipelines`` (validation is held out
    of the training set), ``compile_for_training``, ``fit``, then ``select_weights``.
    ``average_last=k`` averages the weights of the last ``k`` epochs; ``augment=True``
    ("geometric") or "robust" trains the network behind that augmentation and returns the
    network alone; ``val_fraction=0`` trains on every image and keeps the final weights.
    """
    if average_last < 0:
        raise ValueError(f"average_last must be 0 (no averaging) or more, not {average_last}")
    config.set_seed(seed)
    epochs = epochs or default_epochs(quick)
    pipes = make_pipelines(x_train, y_train, val_fraction, batch_size, seed)
    kind = "geometric" if augment is True else augment
    trained = with_augmentation(model, seed, kind) if augment else model
    compile_for_training(trained, pipes.steps_per_epoch * epochs, peak_lr, label_smoothing)
    run_callbacks, averager = training_callbacks(
        epochs, pipes.val is not None, patience, average_last, callbacks
    )
    start = time.perf_counter()
    fit = trained.fit(
        pipes.train,
        validation_data=pipes.val,
        epochs=epochs,
        callbacks=run_callbacks,
        verbose=verbose,
        shuffle=False,  # the tf.data pipeline already shuffles, seeded, every epoch
    )
    history = {k: [float(v) for v in vs] for k, vs in fit.history.items()}
    best_epoch, val_accuracy, averaged_epochs = select_weights(
        trained, history, epochs, averager, pipes.val
    )
    return TrainResult(
        model=model,
        history=history,
        seconds=time.perf_counter() - start,
        best_epoch=best_epoch,
        val_accuracy=val_accuracy,
        epochs_run=len(fit.epoch),
        val_split=pipes.val_split,
        averaged_epochs=averaged_epochs,
    )
