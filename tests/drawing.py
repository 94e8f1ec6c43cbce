"""Synthetic drawings for the tests: strokes on a canvas, as a sketchpad payload or a photo."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from digitlib.pictures import sketch_payload  # noqa: F401  (the tests' one payload builder)

CANVAS = 280


def strokes(
    draw: ImageDraw.ImageDraw, cx: float, cy: float, size: float, width: int, fill, shape: str
) -> None:
    """Draw a digit-like shape of height ``size`` centred at (cx, cy)."""
    h, w = size, size * 0.6
    if shape == "one":
        draw.line([(cx, cy - h / 2), (cx, cy + h / 2)], fill=fill, width=width)
    elif shape == "zero":
        draw.ellipse([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], outline=fill, width=width)
    elif shape == "seven":
        draw.line(
            [(cx - w / 2, cy - h / 2), (cx + w / 2, cy - h / 2), (cx - w / 6, cy + h / 2)],
            fill=fill,
            width=width,
            joint="curve",
        )
    else:
        raise ValueError(shape)


def drawn(
    shape: str, cx: float, cy: float, size: float, width: int, canvas: int = CANVAS
) -> np.ndarray:
    """Ink (float, 1 = ink) of one shape on an empty canvas."""
    img = Image.new("L", (canvas, canvas), 0)
    strokes(ImageDraw.Draw(img), cx, cy, size, width, 255, shape)
    return np.asarray(img, np.float32) / 255.0


def photo(
    ink: np.ndarray, dark_on_light: bool = True, gradient: float = 0.0, seed: int = 0
) -> np.ndarray:
    """An RGB 'photo' of the ink: paper and pen colours, uneven light, a little noise."""
    rng = np.random.default_rng(seed)
    paper, pen = (0.92, 0.12) if dark_on_light else (0.1, 0.9)
    img = paper + (pen - paper) * ink
    ramp = np.linspace(-gradient / 2, gradient / 2, ink.shape[1])[None, :]
    img = img + ramp + rng.normal(0, 0.02, ink.shape)
    rgb = np.clip(np.stack([img, img * 0.97, img * 0.94], axis=-1), 0, 1)
    return (rgb * 255).astype(np.uint8)


def place_digit(
    digit28: np.ndarray, size: int, top: int, left: int, canvas: int = CANVAS
) -> np.ndarray:
    """An MNIST digit (uint8, white on black) scaled to ``size`` pixels at (top, left)."""
    big = Image.fromarray(digit28).resize((size, size), Image.Resampling.BILINEAR)
    ink = np.zeros((canvas, canvas), np.float32)
    ink[top : top + size, left : left + size] = np.asarray(big, np.float32) / 255.0
    return ink


def number_image(digits: list[np.ndarray], gap: int, size: int = 120) -> np.ndarray:
    """Digits in a row on a wide canvas; a negative gap makes neighbours overlap."""
    width = len(digits) * size + (len(digits) - 1) * gap + 40
    ink = np.zeros((size + 40, width), np.float32)
    for i, d in enumerate(digits):
        left = 20 + i * (size + gap)
        ink[20 : 20 + size, left : left + size] = np.maximum(
            ink[20 : 20 + size, left : left + size], place_digit(d, size, 0, 0, canvas=size)
        )
    return ink
