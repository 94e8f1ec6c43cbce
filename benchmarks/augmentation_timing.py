"""Is augmentation what a training epoch of our CNN pays for? Times five variants, interleaved.

    DIGITLIB_DATA_DIR=../shared/data/mnist python benchmarks/augmentation_timing.py --rounds 3

Variants: Keras's three augmentation layers inside the model (what ``build_cnn`` does), one
affine resample per image in ``tf.data`` instead, no augmentation, and the first two with
batches of 256. Each round times every variant once, in turn, so a change in the host's speed
hits them all alike; each time is scaled to seconds per epoch of 54,000 images.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from digitlib import data, models  # noqa: E402
from digitlib.preprocess import to_model_input  # noqa: E402

VARIANTS = ("keras128", "none128", "tfdata128", "keras256", "tfdata256")


def random_affine(images, seed, degrees=10.0, shift=0.1, zoom=0.1):
    """Rotate, zoom and shift a batch (B, H, W, 1) with one bilinear resample per image."""
    height = tf.cast(tf.shape(images)[1], tf.float32)
    width = tf.cast(tf.shape(images)[2], tf.float32)
    u = tf.random.stateless_uniform([4, tf.shape(images)[0]], seed=seed, minval=-1.0, maxval=1.0)
    angle, scale = u[0] * degrees * math.pi / 180, 1.0 + u[1] * zoom
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    cx, cy = (width - 1) / 2, (height - 1) / 2
    # output pixel (x, y) reads input pixel (cos x - sin y + a2, sin x + cos y + b2)
    a2 = cx - cos * cx + sin * cy - u[2] * shift * width
    b2 = cy - sin * cx - cos * cy - u[3] * shift * height
    zeros = tf.zeros_like(cos)
    transforms = tf.stack([cos, -sin, a2, sin, cos, b2, zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.shape(images)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )


def seconds_per_epoch(variant: str, x, y, steps: int) -> float:
    batch = 256 if variant.endswith("256") else 128
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=1)
    ds = ds.batch(batch, drop_remainder=True)
    if variant.startswith("tfdata"):
        ds = ds.enumerate().map(
            lambda i, xy: (random_affine(xy[0], tf.stack([i, tf.constant(7, tf.int64)])), xy[1]),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    ds = ds.repeat().prefetch(2)
    model = models.build_cnn()
    if variant.startswith("keras"):
        model = models.with_augmentation(model)
    model.compile(keras.optimizers.Adam(1e-3), "categorical_crossentropy")
    model.fit(ds, steps_per_epoch=10, epochs=1, verbose=0)  # trace and warm up
    start = time.perf_counter()
    model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)
    return (time.perf_counter() - start) / (steps * batch) * 54_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=60, help="timed steps per variant")
    args = parser.parse_args()
    (x, y), _ = data.load_mnist()
    x = to_model_input(x[:20_000])
    y = tf.one_hot(y[:20_000], 10)
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for r in range(args.rounds):
        for variant in VARIANTS:
            times[variant].append(round(seconds_per_epoch(variant, x, y, args.steps), 1))
            print(f"round {r + 1} {variant}: {times[variant][-1]} s per epoch", flush=True)
    print(json.dumps(times))


if __name__ == "__main__":
    main()
