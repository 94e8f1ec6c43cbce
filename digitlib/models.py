"""The networks the book builds.

Every model keeps ``digitlib.contract``: float32 images (N, 28, 28, 1) scaled to [0, 1] in,
softmax probabilities over the ten digits out.
Only standard Keras layers are used. The networks hold no training-only layers: augmentation is
added around them while training (``digitlib.training``), so a trained network saves, loads and
exports as it is (``digitlib.saving``).
"""

from __future__ import annotations

import keras
from keras import layers

from . import config
from .contract import INPUT_SHAPE, NUM_CLASSES


def build_seed_cnn() -> keras.Model:
    """The book's first model and baseline: LeNet style.

    Two sets of convolution, activation and pooling, then a fully connected layer and a softmax
    classifier.
    """
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Conv2D(20, 5, padding="same", name="conv1"),
            layers.Activation("relu", name="relu1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(50, 5, padding="same", name="conv2"),
            layers.Activation("relu", name="relu2"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(500, activation="relu", name="dense"),
            layers.Dense(NUM_CLASSES, activation="softmax", name="softmax"),
        ],
        name="seed_cnn",
    )


def build_keras_example() -> keras.Model:
    """Keras's own "simple MNIST convnet" (34,826 parameters), kept for the benchmarks."""
    return keras.Sequential(
        [
            keras.Input(INPUT_SHAPE),
            layers.Conv2D(32, 3, activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(64, 3, activation="relu", name="conv2"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dropout(0.5, name="dropout"),
            layers.Dense(NUM_CLASSES, activation="softmax", name="softmax"),
        ],
        name="keras_example",
    )


#: The kinds of ``augmentation``: ``train(augment=True)`` is "geometric".
AUGMENTATIONS = ("geometric", "robust")


def augmentation(seed: int = config.SEED, kind: str = "geometric") -> keras.Sequential:
    """Random changes to the digits, put in front of a network while it trains.

    ``geometric``: small random rotations, shifts and zooms. ``robust``: wider geometry (shear
    and perspective too) and the disturbances of ``digitlib.transforms`` (noise, specks, blur,
    stroke width, contrast, paper lines, shadows); see ``digitlib.augmentation``.
    """
    if kind == "robust":
        from .augmentation import RandomDisturbance

        return keras.Sequential([RandomDisturbance(seed=seed, name="disturb")], name="augment")
    if kind != "geometric":
        raise ValueError(f"unknown augmentation {kind!r}; choose one of {AUGMENTATIONS}")
    return keras.Sequential(
        [
            layers.RandomRotation(10 / 360, fill_mode="constant", seed=seed),
            layers.RandomTranslation(0.1, 0.1, fill_mode="constant", seed=seed + 1),
            layers.RandomZoom(0.1, fill_mode="constant", seed=seed + 2),
        ],
        name="augment",
    )


def with_augmentation(
    model: keras.Model, seed: int = config.SEED, kind: str = "geometric"
) -> keras.Model:
    """``model`` behind ``augmentation(seed, kind)``: what trains; ``model`` itself is kept."""
    return keras.Sequential(
        [keras.Input(model.input_shape[1:]), augmentation(seed, kind), model],
        name=f"{model.name}_aug",
    )


def _conv_bn(x, filters: int, kernel: int, name: str, strides: int = 1, padding: str = "same"):
    # No bias: batch norm's shift does its job.
    x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False, name=name)(
        x
    )
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


#: Filters of ``build_cnn``'s three convolution stages (24x24, 12x12, 4x4).
CNN_WIDTHS = (32, 64, 128)


def build_cnn(widths: tuple[int, int, int] = CNN_WIDTHS, seed: int = config.SEED) -> keras.Model:
    """The book's best single model: a small batch-norm CNN (trained on augmented digits).

    One 5x5 convolution at full resolution (28 -> 24) and pooling, two 3x3 convolutions at
    12x12 and pooling, one 3x3 convolution at 6x6 (-> 4x4), then dropout and a softmax. Most
    of the computation is at 12x12, where it is cheap; see ``benchmarks/RESULTS.md`` for what
    was tried.
    """
    w1, w2, w3 = (int(w) for w in widths)  # a card read from JSON holds a list
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = _conv_bn(inputs, w1, 5, "conv1", padding="valid")  # 24x24
    x = layers.MaxPooling2D(2, name="pool1")(x)  # 12x12
    x = _conv_bn(x, w2, 3, "conv2")
    x = _conv_bn(x, w2, 3, "conv3")
    x = layers.MaxPooling2D(2, name="pool2")(x)  # 6x6
    x = layers.Dropout(0.1, seed=seed, name="drop1")(x)
    x = _conv_bn(x, w3, 3, "conv4", padding="valid")  # 4x4
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.4, seed=seed + 1, name="drop2")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="softmax")(x)
    return keras.Model(inputs, outputs, name="digit_cnn")


#: The names the command line and the chapters use.
BUILDERS = {
    "seed": build_seed_cnn,
    "keras_example": build_keras_example,
    "cnn": build_cnn,
}


def build(name: str, seed: int | None = None, **options) -> keras.Model:
    """Build a model by name: ``seed``, ``keras_example`` or ``cnn``.

    With ``seed``, everything is seeded first: the initial weights are drawn here, at build
    time, so this is what makes a training run repeatable from its command line. ``options``
    go to the builder (``widths=(32, 64, 128)`` for ``cnn``).
    """
    if name not in BUILDERS:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(BUILDERS)}")
    if seed is not None:
        config.set_seed(seed)
    return BUILDERS[name](**options)
