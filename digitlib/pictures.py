"""Whole pictures to read: digits as sketchpad drawings and as phone photos on paper.

``sketch_payload`` is the value Gradio's sketchpad sends (the demo's input); ``sketchpad_drawing``
and ``photo`` place an MNIST digit at random size and place on a pad or on plain, ruled or
squared paper. Chapter 6 and 7, the tests and the benchmarks read them through ``Recognizer``.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage

from .transforms import BLUE_INK, PAPER, Images, _to_uint8


def sketch_payload(ink: np.ndarray) -> dict:
    """A Gradio sketchpad value for ``ink`` (float, 1 = ink): a white background, one transparent
    layer whose alpha is the ink, and their black-on-white composite."""
    alpha = (np.clip(ink, 0, 1) * 255).astype(np.uint8)
    layer = np.zeros(ink.shape + (4,), np.uint8)
    layer[..., 3] = alpha
    background = np.full(ink.shape + (4,), 255, np.uint8)
    composite = background.copy()
    composite[..., :3] = (255 - alpha)[..., None]
    return {"background": background, "layers": [layer], "composite": composite}


def _placed(digit: np.ndarray, rng, canvas: tuple[int, int]) -> np.ndarray:
    """Ink (float, 1 = ink) of an MNIST digit scaled to a random size at a random place."""
    h, w = canvas
    size = int(rng.uniform(0.3, 0.75) * min(h, w))
    big = Image.fromarray(digit).resize((size, size), Image.Resampling.BICUBIC)
    ink = np.zeros((h, w), np.float32)
    top, left = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    ink[top : top + size, left : left + size] = np.clip(np.asarray(big, np.float32) / 255.0, 0, 1)
    return ink


PHOTO_PAPERS = ("plain", "ruled", "squared")


def photo(
    digit: np.ndarray,
    paper: str = "plain",
    seed: int = 0,
    ink: tuple[float, float, float] | None = None,
    light: float | None = None,
    quality: int | None = None,
) -> np.ndarray:
    """One MNIST digit as a phone photo: an RGB uint8 picture of it written on paper.

    The picture is 160 to 320 pixels a side, the digit 30-75% of its shorter side at a random
    place; ``paper`` is plain, ruled (faint blue lines) or squared (a faint grey-blue grid). Ink
    colour, uneven light (the shadow's depth) and JPEG quality are drawn at random unless given:
    black or blue ballpoint, shadows up to 0.4, quality 30-90.
    """
    if paper not in PHOTO_PAPERS:
        raise ValueError(f"paper must be one of {PHOTO_PAPERS}, not {paper!r}")
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(160, 321, 2))
    alpha = _placed(np.asarray(digit, np.uint8), rng, (h, w))
    alpha = ndimage.gaussian_filter(alpha, 0.6)  # a ballpoint's soft edge
    if ink is None:
        ink = (0.1, 0.1, 0.12) if rng.random() < 0.5 else BLUE_INK
    paper_rgb = np.array(PAPER, np.float32) + rng.normal(0, 0.015, (h, w, 1))  # texture
    if paper != "plain":
        spacing = int(rng.integers(18, 34))
        line = np.zeros((h, w), np.float32)
        offset = int(rng.integers(spacing))
        line[(np.arange(h) - offset) % spacing < 2, :] = 1.0
        if paper == "squared":
            line[:, (np.arange(w) - offset) % spacing < 2] = 1.0
        line_rgb = np.array((0.55, 0.68, 0.88) if paper == "ruled" else (0.62, 0.68, 0.78))
        strength = rng.uniform(0.5, 0.9)
        paper_rgb = paper_rgb + strength * line[..., None] * (line_rgb - paper_rgb)
    img = paper_rgb * (1 - alpha[..., None]) + np.array(ink, np.float32) * alpha[..., None]
    light = rng.uniform(0.0, 0.4) if light is None else light
    rows, cols = np.indices((h, w))
    a = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(a) * cols / w + np.sin(a) * rows / h
    ramp = (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6)
    img = img * (1.0 - light * ramp)[..., None] + rng.normal(0, 0.01, img.shape)
    rgb = _to_uint8(np.clip(img, 0, 1) * 255)
    quality = int(rng.integers(30, 91)) if quality is None else quality
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return np.asarray(Image.open(buf).convert("RGB"))


def photo_suite(images: Images, paper: str = "plain", seed: int = 0) -> list[np.ndarray]:
    """Every digit in ``images`` as a ``photo`` on ``paper``, each with its own seed."""
    return [photo(d, paper, seed=seed * 1_000_003 + i) for i, d in enumerate(np.asarray(images))]


def sketchpad_drawing(digit: np.ndarray, seed: int = 0, canvas: int = 280) -> dict:
    """One MNIST digit as a Gradio sketchpad value: ink in a layer's alpha, at random size and
    place on a ``canvas`` x ``canvas`` pad (the demo's input)."""
    rng = np.random.default_rng(seed)
    alpha = _placed(np.asarray(digit, np.uint8), rng, (canvas, canvas))
    return sketch_payload(alpha)


def sketchpad_suite(images: Images, seed: int = 0) -> list[dict]:
    """Every digit in ``images`` as a ``sketchpad_drawing``, each with its own seed."""
    return [
        sketchpad_drawing(d, seed=seed * 1_000_003 + i) for i, d in enumerate(np.asarray(images))
    ]
