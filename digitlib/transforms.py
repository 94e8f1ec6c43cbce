"""Ways to disturb MNIST digits, for testing how robust a model is (chapter 7).

Two families. The MNIST-C family (Mu and Gilmer, 2019) disturbs the 28x28 digit itself: noise of
several kinds, specks, blur, thicker and thinner strokes, shift, rotation, shear and scale. The
photo family adds what a phone photo of a digit on paper brings: uneven light, low contrast,
coloured (blue ballpoint) ink, ruled and squared paper, JPEG artefacts, slight blur and
perspective. Each function takes uint8 images (N, 28, 28), white ink on black (MNIST form), and
returns uint8 images of the same shape; the random ones take a ``seed`` and give the same
result for the same seed. Parameters that vary per image (an angle, a shift) may be one number
for every image or one per image.

``digitlib.robustness`` names each kind at three severities (``CORRUPTIONS``, ``corrupt``);
``digitlib.pictures`` renders whole photos and sketchpad drawings for the pipeline.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage

Images = np.ndarray  # uint8 (N, 28, 28), white ink on black


def _each(images: np.ndarray, fn, *per_image) -> np.ndarray:
    """Apply ``fn(image_float, *params)`` to each image; params broadcast to one per image."""
    images = np.asarray(images)
    n = len(images)
    params = [np.broadcast_to(np.asarray(p, dtype=float), (n,)) for p in per_image]
    out = [fn(img.astype(np.float32), *(p[i] for p in params)) for i, img in enumerate(images)]
    return _to_uint8(np.stack(out) if out else images.astype(np.float32))


def _to_uint8(images: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(images), 0, 255).astype(np.uint8)


def _unit(images: np.ndarray) -> np.ndarray:
    return np.asarray(images, np.float32) / 255.0


def _from_unit(images: np.ndarray) -> np.ndarray:
    return _to_uint8(np.asarray(images) * 255.0)


def _affine(im: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Map output (row, col) to input by ``matrix`` about the frame's centre (bilinear, black)."""
    centre = (np.array(im.shape) - 1) / 2
    offset = centre - matrix @ centre
    return ndimage.affine_transform(im, matrix, offset=offset, order=1, cval=0.0)


# ---------------------------------------------------------------------------------------------
# Geometry and stroke


def shift(images: Images, dx, dy=0) -> Images:
    """Move digits ``dx`` pixels right and ``dy`` down; what leaves the frame is lost."""
    return _each(images, lambda im, x, y: ndimage.shift(im, (y, x), order=0, cval=0.0), dx, dy)


def rotate(images: Images, degrees) -> Images:
    """Rotate digits about the frame's centre, anticlockwise."""
    return _each(
        images,
        lambda im, d: ndimage.rotate(im, d, reshape=False, order=1, cval=0.0),
        degrees,
    )


def shear(images: Images, amount) -> Images:
    """Slant digits: each row moves ``amount`` times its height above the centre to the right."""
    return _each(images, lambda im, s: _affine(im, np.array([[1.0, 0.0], [s, 1.0]])), amount)


def scale(images: Images, factor) -> Images:
    """Zoom digits about the frame's centre: above 1 larger (and maybe cut), below 1 smaller."""
    return _each(images, lambda im, f: _affine(im, np.eye(2) / f), factor)


def perspective(images: Images, amount: float, seed: int = 0) -> Images:
    """Seen from slightly off-square: each corner moves up to ``amount`` pixels at random."""
    rng = np.random.default_rng(seed)
    images = np.asarray(images)
    corners = np.array([[0, 0], [27, 0], [27, 27], [0, 27]], float)  # (x, y) of the frame
    out = []
    for img in images:
        moved = corners + rng.uniform(-amount, amount, corners.shape)
        coeffs = _perspective_coeffs(corners, moved)
        pil = Image.fromarray(img).transform(
            (28, 28), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR, fillcolor=0
        )
        out.append(np.asarray(pil))
    return np.stack(out) if out else images.copy()


def _perspective_coeffs(out_pts: np.ndarray, in_pts: np.ndarray) -> tuple:
    """PIL's eight coefficients that map output points to input points."""
    rows = []
    for (x, y), (u, v) in zip(out_pts, in_pts, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    return tuple(np.linalg.solve(np.array(rows), in_pts.reshape(-1)))


def _stroke(images: Images, pixels: float, op) -> Images:
    """Grey dilation or erosion by ``pixels`` on every side; a fraction blends the two nearest
    whole windows (0.5 is a 2x2 window, one pixel on one side)."""
    if pixels < 0:
        raise ValueError(f"pixels must be 0 or more, not {pixels}")
    size = 2 * pixels + 1
    lo, hi = int(np.floor(size)), int(np.ceil(size))
    t = size - lo

    def one(im):
        low = op(im, size=(lo, lo))
        return low if hi == lo else (1 - t) * low + t * op(im, size=(hi, hi))

    return _each(images, one)


def thicken(images: Images, pixels: float = 1) -> Images:
    """Make strokes thicker by ``pixels`` on every side (grey dilation)."""
    return _stroke(images, pixels, ndimage.grey_dilation)


def thin(images: Images, pixels: float = 1) -> Images:
    """Make strokes thinner by ``pixels`` on every side (grey erosion)."""
    return _stroke(images, pixels, ndimage.grey_erosion)


def blur(images: Images, sigma: float) -> Images:
    """Out of focus: a Gaussian blur of ``sigma`` pixels."""
    return _each(images, lambda im: ndimage.gaussian_filter(im, sigma))


# ---------------------------------------------------------------------------------------------
# Noise and specks


def gaussian_noise(images: Images, sigma: float, seed: int = 0) -> Images:
    """Add Gaussian noise of standard deviation ``sigma`` on the [0, 1] scale, clipped."""
    rng = np.random.default_rng(seed)
    x = _unit(images)
    return _from_unit(np.clip(x + rng.normal(0.0, sigma, x.shape), 0.0, 1.0))


def shot_noise(images: Images, photons: float, seed: int = 0) -> Images:
    """Photon (Poisson) noise: ``photons`` is the count at full brightness; fewer is noisier."""
    rng = np.random.default_rng(seed)
    x = _unit(images)
    return _from_unit(np.clip(rng.poisson(x * photons) / photons, 0.0, 1.0))


def impulse_noise(images: Images, amount: float, seed: int = 0) -> Images:
    """Salt and pepper: a share ``amount`` of the pixels turned fully white or black, half each."""
    rng = np.random.default_rng(seed)
    out = np.array(images, np.uint8, copy=True)
    hit = rng.random(out.shape) < amount
    salt = rng.random(out.shape) < 0.5
    out[hit & salt] = 255
    out[hit & ~salt] = 0
    return out


def specks(images: Images, count: int, seed: int = 0) -> Images:
    """Dust: ``count`` specks of one or two pixels across, anywhere in the frame."""
    rng = np.random.default_rng(seed)
    out = np.array(images, np.uint8, copy=True)
    n = len(out)
    for _ in range(count):
        rows, cols = rng.integers(0, 27, n), rng.integers(0, 27, n)
        size = rng.integers(1, 3, n)
        level = rng.integers(150, 256, n).astype(np.uint8)
        for i in range(n):
            patch = out[i, rows[i] : rows[i] + size[i], cols[i] : cols[i] + size[i]]
            np.maximum(patch, level[i], out=patch)
    return out


# ---------------------------------------------------------------------------------------------
# Photo effects, as they look once a photo is turned into white ink on black


def uneven_light(images: Images, strength: float, seed: int = 0) -> Images:
    """A shadow across the paper: the background brightens by up to ``strength`` along a ramp
    at a random angle (a darker patch of paper is a brighter one once inverted)."""
    rng = np.random.default_rng(seed)
    x = _unit(images)
    rows, cols = np.indices((28, 28)) / 27.0 - 0.5
    angles = rng.uniform(0, 2 * np.pi, len(x))[:, None, None]
    ramps = np.cos(angles) * cols + np.sin(angles) * rows
    low = ramps.min(axis=(1, 2), keepdims=True)
    ramps = (ramps - low) / (ramps.max(axis=(1, 2), keepdims=True) - low)
    light = strength * ramps
    return _from_unit(x + light * (1.0 - x))


def low_contrast(images: Images, contrast: float) -> Images:
    """Grey ink on grey paper: the range between paper and ink shrinks to ``contrast``."""
    return _from_unit((1.0 - contrast) / 2 + contrast * _unit(images))


#: Paper and a blue ballpoint's ink, RGB in [0, 1]; lighter blues are a pen running dry.
PAPER = (0.95, 0.94, 0.90)
BLUE_INK = (0.12, 0.20, 0.62)
LIGHT_BLUE_INK = (0.35, 0.45, 0.85)
FADED_BLUE_INK = (0.5, 0.6, 0.9)
LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def coloured_ink(images: Images, ink=BLUE_INK, paper=PAPER) -> Images:
    """Ink of colour ``ink`` on ``paper``, as its brightness shows it: less contrast than black."""
    lp, li = float(LUMA @ np.array(paper)), float(LUMA @ np.array(ink))
    return _from_unit((1.0 - lp) + (lp - li) * _unit(images))


def _lines_mask(spacing: int, offset: int, horizontal: bool, vertical: bool) -> np.ndarray:
    idx = (np.arange(28) - offset) % spacing == 0
    mask = np.zeros((28, 28), bool)
    if horizontal:
        mask[idx, :] = True
    if vertical:
        mask[:, idx] = True
    return mask


def _paper_lines(images, spacing, strength, seed, vertical) -> Images:
    rng = np.random.default_rng(seed)
    x = _unit(images)
    out = x.copy()
    for i in range(len(x)):
        mask = _lines_mask(spacing, int(rng.integers(spacing)), True, vertical)
        out[i] = np.where(mask, np.maximum(x[i], strength), x[i])
    return _from_unit(out)


def ruled_paper(images: Images, spacing: int, strength: float, seed: int = 0) -> Images:
    """Written on ruled paper: faint horizontal lines every ``spacing`` pixels (ink on top)."""
    return _paper_lines(images, spacing, strength, seed, vertical=False)


def squared_paper(images: Images, spacing: int, strength: float, seed: int = 0) -> Images:
    """Written on squared paper: a faint grid every ``spacing`` pixels."""
    return _paper_lines(images, spacing, strength, seed, vertical=True)


def jpeg(images: Images, quality: int) -> Images:
    """Saved as a JPEG of ``quality`` (1-95), as a photo of dark ink on light paper would be."""
    out = []
    for img in np.asarray(images):
        buf = io.BytesIO()
        Image.fromarray(255 - img).save(buf, format="JPEG", quality=int(quality))
        out.append(255 - np.asarray(Image.open(buf).convert("L")))
    return np.stack(out) if out else np.asarray(images).copy()
