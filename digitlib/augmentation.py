"""Training-time disturbances, inside the model: what a robust network learns to ignore.

Chapter 7 shows what each disturbance does to a model trained without them.

``RandomDisturbance`` is a Keras layer that, while training only, draws for every image a random
geometry (rotation, shear, zoom, shift and a little perspective) and, each with its own
probability, the disturbances of ``digitlib.transforms``: thicker or thinner strokes, blur, low
contrast (coloured ink), ruled or squared paper, uneven light, Gaussian, shot and impulse noise,
and specks. At inference it passes images through unchanged. Everything is drawn from one seeded
generator, so a training run repeats.
"""

from __future__ import annotations

import functools
import math

import keras
import numpy as np
from keras import ops

SIZE = 28


def _shifted(x, offset: int, axis: int):
    """``x`` moved by ``offset`` pixels along ``axis`` (1 rows, 2 columns), zeros coming in."""
    if offset == 0:
        return x
    pad = [[0, 0]] * 4
    pad[axis] = [max(offset, 0), max(-offset, 0)]
    padded = ops.pad(x, pad)
    start = max(-offset, 0)
    return padded[:, start : start + SIZE] if axis == 1 else padded[:, :, start : start + SIZE]


def _dilate(x, size: int):
    """Grey dilation with a ``size`` x ``size`` square, as two passes of shifted maxima (on a
    CPU far cheaper than a stride-1 max pool); erosion is ``-_dilate(-x)``."""
    offsets = range(-(size // 2), size - size // 2)
    for axis in (1, 2):
        x = functools.reduce(ops.maximum, [_shifted(x, o, axis) for o in offsets])
    return x


def _blur(x, sigma: float, radius: int = 3):
    """A Gaussian blur as two passes of weighted shifted copies."""
    t = np.arange(-radius, radius + 1)
    w = np.exp(-(t**2) / (2 * sigma**2))
    w = (w / w.sum()).astype(np.float32)
    for axis in (1, 2):
        x = sum(float(wi) * _shifted(x, int(o), axis) for wi, o in zip(w, t, strict=True))
    return x


@keras.saving.register_keras_serializable(package="digitlib")
class RandomDisturbance(keras.layers.Layer):
    """Random geometry and disturbances for (N, 28, 28, 1) images in [0, 1]; training only.

    ``rate`` is the chance of each pixel-level disturbance (thinning twice that; they combine,
    as in a photo of blue ink on ruled paper in a shadow); ``strong`` the chance that an image's
    geometry is drawn from the wide ranges (rotation up to 32 degrees, shear 0.55, zoom
    0.72-1.4, shift 4.5 pixels) rather than the narrow ones (12 degrees, 0.15, 0.9-1.1, 2.8
    pixels).
    """

    def __init__(self, rate: float = 0.12, strong: float = 0.3, seed: int | None = None, **kw):
        super().__init__(**kw)
        self.rate = rate
        self.strong = strong
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)
        self.blur_sigmas = (0.5, 0.9, 1.3)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "strong": self.strong, "seed": self.seed}

    def compute_output_shape(self, input_shape):
        return input_shape

    # ---- random draws, one per image
    def _u(self, n, lo=0.0, hi=1.0, shape=()):
        return keras.random.uniform((n, *shape), lo, hi, seed=self.generator)

    def _chance(self, n, p):
        return ops.cast(self._u(n, shape=(1, 1, 1)) < p, "float32")

    def _mix(self, n, p, new, old):
        m = self._chance(n, p)
        return m * new + (1.0 - m) * old

    def _choose(self, n, options):
        """One of ``options`` (tensors of the batch's shape) per image, at random."""
        k = ops.cast(ops.floor(self._u(n, 0.0, len(options), shape=(1, 1, 1))), "int32")
        out = options[0]
        for i, opt in enumerate(options[1:], start=1):
            out = ops.where(k == i, opt, out)
        return out

    def _wide_or_narrow(self, n, narrow, wide):
        span = ops.where(self._u(n) < self.strong, wide, narrow)
        return self._u(n, -1.0, 1.0) * span

    # ---- the layer
    def call(self, x, training=None):
        if not training:
            return x
        x = ops.cast(x, "float32")
        n = ops.shape(x)[0]
        x = self._geometry(x, n)
        r = self.rate
        d2, d3 = _dilate(x, 2), _dilate(x, 3)
        thick = self._choose(n, [d2, d3, 0.5 * (d3 + _dilate(d3, 3))])
        x = self._mix(n, r, thick, x)
        thin = self._choose(n, [-_dilate(-x, 2), -_dilate(-x, 3)])
        # Twice as often as the others: a thinned stroke is the hardest to learn (on validation,
        # short runs: thin strokes 88% at ``r``, 90% at ``2 r``, clean and the rest unchanged).
        x = self._mix(n, 2 * r, thin, x)
        blurred = [_blur(x, s) for s in self.blur_sigmas]
        x = self._mix(n, r, self._choose(n, blurred), x)
        # Grey ink on grey paper: a range of ``c`` above a paper level ``p``.
        c = self._u(n, 0.25, 1.0, (1, 1, 1))
        p = self._u(n, 0.0, 1.0, (1, 1, 1)) * (1.0 - c) * 0.6
        x = self._mix(n, 1.5 * r, p + c * x, x)
        x = self._mix(n, r, self._lines(x, n), x)
        x = self._mix(n, r, self._light(x, n), x)
        sigma = self._u(n, 0.05, 0.4, (1, 1, 1))
        noisy = ops.clip(x + sigma * keras.random.normal(ops.shape(x), seed=self.generator), 0, 1)
        x = self._mix(n, r, noisy, x)
        photons = ops.exp(self._u(n, math.log(5.0), math.log(100.0), (1, 1, 1)))
        shot = x + ops.sqrt(x / photons) * keras.random.normal(ops.shape(x), seed=self.generator)
        x = self._mix(n, r, ops.clip(shot, 0, 1), x)
        x = self._mix(n, r, self._impulse(x, n), x)
        x = self._mix(n, r, self._specks(x, n), x)
        return x

    def _geometry(self, x, n):
        angle = self._wide_or_narrow(n, 12.0, 32.0) * (math.pi / 180)
        shear = self._wide_or_narrow(n, 0.15, 0.55)
        zoom = ops.exp(self._wide_or_narrow(n, math.log(1.1), math.log(1.4)))
        dx, dy = self._wide_or_narrow(n, 2.8, 4.5), self._wide_or_narrow(n, 2.8, 4.5)
        c0, c1 = self._u(n, -0.006, 0.006), self._u(n, -0.006, 0.006)  # perspective
        cos, sin = ops.cos(angle), ops.sin(angle)
        # Output (x, y) -> input: rotate and shear about the centre, divided by the zoom.
        a0, a1 = cos / zoom, (-sin + shear * cos) / zoom
        b0, b1 = sin / zoom, (cos + shear * sin) / zoom
        mid = (SIZE - 1) / 2
        a2 = mid - a0 * mid - a1 * mid - dx
        b2 = mid - b0 * mid - b1 * mid - dy
        transform = ops.stack([a0, a1, a2, b0, b1, b2, c0, c1], axis=1)
        return ops.image.affine_transform(x, transform, "bilinear", "constant", 0.0)

    def _lines(self, x, n):
        """Ruled or squared paper: faint lines every 5-10 pixels, under the ink."""
        spacing = ops.floor(self._u(n, 5.0, 11.0, (1,)))
        offset = ops.floor(self._u(n, 0.0, 10.0, (1,)))
        idx = ops.arange(SIZE, dtype="float32")[None, :]
        on = ops.cast(ops.equal(ops.mod(idx + offset, spacing), 0.0), "float32")  # (n, 28)
        grid = self._chance(n, 0.5)[:, :, :, 0]
        mask = ops.maximum(on[:, :, None], grid * on[:, None, :])[..., None]
        strength = self._u(n, 0.15, 0.5, (1, 1, 1))
        return ops.maximum(x, strength * mask)

    def _light(self, x, n):
        """A shadow: the paper brightens (once inverted) along a ramp at a random angle."""
        a = self._u(n, 0.0, 2 * math.pi, (1, 1))
        rows = ops.arange(SIZE, dtype="float32")[None, :, None] / (SIZE - 1) - 0.5
        cols = ops.arange(SIZE, dtype="float32")[None, None, :] / (SIZE - 1) - 0.5
        ramp = ops.cos(a) * cols + ops.sin(a) * rows
        low = ops.min(ramp, axis=(1, 2), keepdims=True)
        ramp = (ramp - low) / (ops.max(ramp, axis=(1, 2), keepdims=True) - low)
        g = self._u(n, 0.1, 0.55, (1, 1)) * ramp
        return x + g[..., None] * (1.0 - x)

    def _impulse(self, x, n):
        amount = self._u(n, 0.01, 0.12, (1, 1, 1))
        hit = self._u(n, shape=(SIZE, SIZE, 1)) < amount
        salt = self._u(n, shape=(SIZE, SIZE, 1)) < 0.5
        return ops.where(hit, ops.cast(salt, "float32"), x)

    def _specks(self, x, n):
        rate = self._u(n, 1.0, 8.0, (1, 1, 1)) / (SIZE * SIZE)
        dots = ops.cast(self._u(n, shape=(SIZE, SIZE, 1)) < rate, "float32")
        dots = self._mix(n, 0.5, _dilate(dots, 2), dots)
        return ops.maximum(x, dots * self._u(n, 0.6, 1.0, (1, 1, 1)))
