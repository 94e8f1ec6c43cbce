"""Segmentation: one ink map (a number of several digits) to one box per digit, left to right.

``Recognizer.read_number`` reads each box as one digit; chapter 6 shows the steps.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .preprocess import Box

#: Ink above this (on 0-1) counts as a stroke.
INK_LEVEL = 0.2
#: A component is a speck, and dropped, below this many pixels or this share of the largest.
SPECK_PIXELS = 4
SPECK_SHARE = 0.05
#: Boxes whose columns overlap by more than this share of the narrower one are one digit
#: written in pieces (the bar of a 5, a broken 4).
STACKED_OVERLAP = 0.5
#: A digit is about this wide for its height; a box several times wider holds touching digits.
DIGIT_ASPECT = 0.8
#: A digit is at least this share of the tallest one's height (a short 0 beside a tall 7).
SHORT_DIGIT = 0.6


def isolate(ink: np.ndarray, box: Box) -> np.ndarray:
    """The part of ``ink`` inside ``box``."""
    return ink[box.top : box.bottom, box.left : box.right]


def segment_digits(ink: np.ndarray, level: float = INK_LEVEL) -> list[Box]:
    """Boxes around the digits in ``ink``, left to right.

    Connected components of the ink; specks are dropped, pieces stacked above one another (the
    bar of a 5, a broken 4) are joined, and a component much wider than a digit (touching
    strokes) is cut where the ink is thinnest.
    """
    mask = ink > level
    if not mask.any():
        return []
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    slices = ndimage.find_objects(labels)
    sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, count + 1))
    keep = sizes >= max(SPECK_PIXELS, SPECK_SHARE * sizes.max())
    boxes = [
        Box(s[0].start, s[1].start, s[0].stop, s[1].stop)
        for s, k in zip(slices, keep, strict=True)
        if k
    ]
    boxes = _merge_stacked(sorted(boxes, key=lambda b: b.left))
    height = max(b.height for b in boxes)
    out: list[Box] = []
    for b in boxes:
        out.extend(_split_wide(mask, b, height))
    return out


def _merge_stacked(boxes: list[Box]) -> list[Box]:
    merged: list[Box] = []
    for b in boxes:
        if merged:
            m = merged[-1]
            overlap = min(m.right, b.right) - max(m.left, b.left)
            if overlap > STACKED_OVERLAP * min(m.width, b.width):
                merged[-1] = Box(
                    min(m.top, b.top),
                    min(m.left, b.left),
                    max(m.bottom, b.bottom),
                    max(m.right, b.right),
                )
                continue
        merged.append(b)
    return merged


def _split_wide(mask: np.ndarray, b: Box, height: int) -> list[Box]:
    """Cut a box holding touching digits where its columns have the least ink."""
    digit_width = DIGIT_ASPECT * max(b.height, SHORT_DIGIT * height)
    parts = int(round(b.width / digit_width))
    if parts <= 1:
        return [b]
    profile = mask[b.top : b.bottom, b.left : b.right].sum(axis=0).astype(float)
    cuts = [0]
    for i in range(1, parts):
        guess = int(b.width * i / parts)
        window = max(1, b.width // (3 * parts))
        lo, hi = max(cuts[-1] + 1, guess - window), min(b.width - 1, guess + window)
        cuts.append(lo + int(np.argmin(profile[lo : hi + 1])) if hi >= lo else guess)
    cuts.append(b.width)
    out = []
    for left, right in zip(cuts[:-1], cuts[1:], strict=True):
        piece = mask[b.top : b.bottom, b.left + left : b.left + right]
        rows = np.flatnonzero(piece.any(axis=1))
        if len(rows):
            out.append(
                Box(b.top + int(rows[0]), b.left + left, b.top + int(rows[-1]) + 1, b.left + right)
            )
    return out
