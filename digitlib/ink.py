"""Finding the ink: any drawing, photo, scan, file or array to an ink map (chapters 2, 6, 7).

An ink map is float32 (H, W) in [0, 1], 1 where there is ink, whatever the input's colours: a
sketchpad payload's layers, dark ink on light paper, light on dark, coloured ink, ruled or
squared paper (whose lines are not ink), uneven light. ``digitlib.preprocess`` then brings the
ink to MNIST form. Limits on size are checked before anything large is decoded.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

from .contract import PIXEL_MAX, SIDE

#: Larger images are shrunk to this longer side before looking for ink. A digit ends up 20
#: pixels tall, so nothing is lost, and a 10000x10000 upload costs no more than a small one.
MAX_SIDE = 512
#: Refuse to even decode images above this many pixels (a decompression bomb, not a photo).
MAX_PIXELS = 120_000_000
#: Below this contrast between ink and paper (on a 0-1 scale) there is nothing to read.
MIN_CONTRAST = 0.15
#: Fewer ink pixels than this share of the image is a speck of dust, not a digit.
MIN_INK_FRACTION = 0.0005


class ImageError(ValueError):
    """The input is not an image we can read; the message says why in a user's words."""


def ink_map(image: Any) -> np.ndarray:
    """Find the ink in ``image``, whatever it is; return a float32 (H, W) map in [0, 1].

    ``image`` may be a Gradio sketchpad/ImageEditor payload (a dict with ``background``,
    ``layers`` and ``composite``; the ink is the alpha of the layers), a numpy array (HxW, HxWx3
    or HxWx4; uint8, uint16 or float), a PIL image, a file path, or the bytes of an image file.
    For photos and scans the polarity (dark on light or light on dark) is detected and uneven
    lighting evened out. Raises ``ImageError`` for anything that is not an image.
    """
    if image is None:
        return np.zeros((SIDE, SIDE), np.float32)
    if isinstance(image, dict):
        return _ink_from_payload(image)
    if isinstance(image, (str, os.PathLike, bytes, bytearray)):
        image = open_image(image)
    if isinstance(image, Image.Image):
        image = _pil_to_array(image)
    if isinstance(image, np.ndarray):
        return _ink_from_array(image)
    raise ImageError(f"cannot read a {type(image).__name__} as an image")


def open_image(source: str | os.PathLike | bytes | bytearray) -> Image.Image:
    """Open an image file (path or bytes) safely: bombs refused, EXIF rotation applied."""
    too_large = f"too large to read; please upload an image of at most {MAX_PIXELS:,} pixels"
    try:
        with warnings.catch_warnings():
            # We check the size ourselves, below, with a message a user can act on.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            if isinstance(source, (bytes, bytearray)):
                img = Image.open(io.BytesIO(source))
            else:
                path = Path(source)
                if not path.is_file():
                    raise ImageError(f"no such file: {path}")
                img = Image.open(path)
            if img.width * img.height > MAX_PIXELS:
                raise ImageError(f"the image is {img.width}x{img.height} pixels, {too_large}")
            img.draft("L", (MAX_SIDE * 2, MAX_SIDE * 2))  # JPEGs decode straight to a small size
            img = ImageOps.exif_transpose(img)
            if max(img.size) > 2 * MAX_SIDE:
                # Shrink inside PIL, before a float copy of a huge picture is ever made.
                if img.mode in ("1", "P"):
                    img = img.convert("RGBA" if "transparency" in img.info else "L")
                img.thumbnail((2 * MAX_SIDE, 2 * MAX_SIDE), Image.Resampling.BOX)
            img.load()
            return img
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageError(f"the image is {too_large}") from exc
    except UnidentifiedImageError as exc:
        raise ImageError("that file is not an image we can read (PNG, JPEG, GIF, BMP...)") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"the image file is damaged or truncated ({exc})") from exc


def _pil_to_array(img: Image.Image) -> np.ndarray:
    img = ImageOps.exif_transpose(img)
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = arr.max()
        return (arr / top if top > 0 else arr).astype(np.float32)
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        return np.asarray(img.convert("RGBA"))
    return np.asarray(img.convert("L"))


def as_unit_float(arr: np.ndarray) -> np.ndarray:
    """Any numeric array to float32 in [0, 1]."""
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / PIXEL_MAX
    if arr.dtype == np.uint16:
        return arr.astype(np.float32) / 65535.0
    if arr.dtype == bool:
        return arr.astype(np.float32)
    with np.errstate(over="ignore"):  # values beyond float32 become its largest, below
        arr = np.nan_to_num(arr.astype(np.float32))
    top = float(arr.max()) if arr.size else 0.0
    if top > 1.0:
        arr = arr / (PIXEL_MAX if top <= PIXEL_MAX else top)
    return np.clip(arr, 0.0, 1.0)


def _shrink(arr: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """Shrink a float (H, W[, C]) array so its longer side is at most ``max_side`` (box filter)."""
    h, w = arr.shape[:2]
    factor = int(np.ceil(max(h, w) / max_side))
    if factor <= 1:
        return arr
    # A side shorter than the factor (a 1x3000 strip) still gives one row or column of blocks.
    h2, w2 = max(h // factor, 1) * factor, max(w // factor, 1) * factor
    if h2 > h or w2 > w:
        pad = ((0, max(h2 - h, 0)), (0, max(w2 - w, 0))) + ((0, 0),) * (arr.ndim - 2)
        arr = np.pad(arr, pad, mode="edge")
    arr = arr[:h2, :w2]
    shape = (h2 // factor, factor, w2 // factor, factor) + arr.shape[2:]
    return arr.reshape(shape).mean(axis=(1, 3))


def _ink_from_array(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise ImageError(f"expected an HxW, HxWx3 or HxWx4 image, got shape {arr.shape}")
    if min(arr.shape[:2]) < 1:
        raise ImageError("the image is empty")
    arr = _shrink(as_unit_float(arr))
    if arr.ndim == 3:
        if arr.shape[2] == 4:
            alpha = arr[:, :, 3]
            if alpha.min() < 0.99:  # real transparency: lay the picture on white paper first
                arr = arr[:, :, :3] * alpha[..., None] + (1.0 - alpha[..., None])
            else:
                arr = arr[:, :, :3]
        arr = arr @ np.array([0.299, 0.587, 0.114], np.float32)  # luminance
    return _ink_from_gray(arr)


def _ink_from_gray(gray: np.ndarray) -> np.ndarray:
    """Ink from a grayscale photo or scan: polarity detected, lighting evened out."""
    h, w = gray.shape
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) >= 0.5:
        gray = 1.0 - gray  # dark ink on light paper: flip, so the ink is the bright part
    # The background is what is left when the strokes (thinner than this window) are opened
    # away; subtracting it evens out shadows and uneven lighting. The picture is first extended
    # past its edges as a shadow would go on (odd reflection continues a slope), so the opening
    # does not cut the corner off a shadow that darkens towards an edge.
    size = max(3, int(round(max(h, w) / 4)))
    padded = np.pad(gray, size, mode="reflect", reflect_type="odd")
    background = ndimage.grey_opening(padded, size=(size, size))
    background = ndimage.uniform_filter(background, size=max(3, size // 4))[size:-size, size:-size]
    ink = np.clip(gray - background, 0.0, None)
    ink = np.clip(ink - _paper_lines(ink), 0.0, None)
    peak = float(ink.max())
    if peak < MIN_CONTRAST:
        return np.zeros_like(ink)
    ink /= peak
    # Paper texture and sensor noise fall below Otsu's threshold between paper and ink.
    ink[ink < 0.5 * _otsu(ink)] = 0.0
    return _without_crumbs(ink).astype(np.float32)


#: How much darker than the paper (on a 0-1 scale) a ruled or grid line must be to be found,
#: and the share of the picture's width (height) it must cross: more than a digit ever does.
LINE_CONTRAST = 0.04
LINE_COVER = 0.85


def _paper_lines(ink: np.ndarray) -> np.ndarray:
    """The straight lines of ruled or squared paper in an ink map, to subtract from it.

    A horizontal opening keeps only what runs unbroken for a quarter of the width: lines, a
    long flat stroke, and the paper's own faint level. A row is a line where what survives along
    nearly all of it stands clearly above the paper's level, which a digit's strokes, crossing
    only part of the picture, never do (and likewise columns); and as paper repeats its lines,
    at least two must be found, so a 1 that fills the picture stays. Only the line's own
    strength is subtracted, so ink that crosses a line keeps what it has above it.
    """
    h, w = ink.shape
    lines = np.zeros_like(ink)
    for axis, length in ((1, w), (0, h)):  # horizontal lines run along axis 1
        size = (1, max(5, length // 4)) if axis == 1 else (max(5, length // 4), 1)
        runs = ndimage.grey_opening(ink, size=size)
        along = np.percentile(runs, 100 * (1 - LINE_COVER), axis=axis)  # per row (or column)
        paper = float(np.median(along))
        across = along > paper + LINE_CONTRAST
        if ndimage.label(across)[1] < 2:
            continue  # paper repeats its lines; one lone stroke across is a digit filling it
        across = ndimage.binary_dilation(across, iterations=1)  # the line's soft edges
        mask = across[:, None] if axis == 1 else across[None, :]
        lines = np.maximum(lines, np.where(mask, np.clip(runs - paper, 0.0, None), 0.0))
    return lines


def _without_crumbs(ink: np.ndarray, share: float = 0.05, faint: float = 0.3) -> np.ndarray:
    """Drop pieces of ink with less than ``share`` of the largest piece's ink (left-over line
    ends, dust) or never darker than ``faint`` (a shadow's edge, not a pen's stroke)."""
    labels, count = ndimage.label(ink > 0, structure=np.ones((3, 3)))
    if count <= 1:
        return ink
    index = np.arange(1, count + 1)
    mass = ndimage.sum_labels(ink, labels, index=index)
    peak = ndimage.maximum(ink, labels, index=index)
    keep = np.concatenate([[False], (mass >= share * mass.max()) & (peak >= faint)])
    return np.where(keep[labels], ink, 0.0)


def _otsu(values: np.ndarray) -> float:
    hist, edges = np.histogram(values, bins=64, range=(0.0, 1.0))
    centres = (edges[:-1] + edges[1:]) / 2
    weight1 = np.cumsum(hist)
    weight2 = weight1[-1] - weight1
    mean1 = np.cumsum(hist * centres) / np.maximum(weight1, 1)
    total = (hist * centres).sum()
    mean2 = (total - np.cumsum(hist * centres)) / np.maximum(weight2, 1)
    between = weight1 * weight2 * (mean1 - mean2) ** 2
    return float(centres[int(np.argmax(between))])


def _ink_from_payload(payload: dict) -> np.ndarray:
    """A Gradio sketchpad/ImageEditor value: ink is the alpha of the drawn layers."""
    layers = [layer for layer in payload.get("layers") or [] if layer is not None]
    inks = []
    for layer in layers:
        arr = np.asarray(_pil_to_array(layer) if isinstance(layer, Image.Image) else layer)
        if isinstance(layer, (str, os.PathLike)):
            arr = _pil_to_array(open_image(layer))
        if arr.ndim == 3 and arr.shape[2] == 4:
            inks.append(_shrink(as_unit_float(arr[:, :, 3])))
    if inks and max(float(i.max()) for i in inks) > 0:
        ink = np.maximum.reduce(inks) if len({i.shape for i in inks}) == 1 else inks[0]
        return ink.astype(np.float32)
    # Nothing drawn on the layers: read what the background or composite shows (an upload).
    for key in ("composite", "background"):
        if payload.get(key) is not None:
            return ink_map(payload[key])
    return np.zeros((SIDE, SIDE), np.float32)
