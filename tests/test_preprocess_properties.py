"""Property tests: any array, image, file or payload gives MNIST form, nothing, or an ImageError.

Hypothesis draws the inputs; "nothing" is ``None`` (no ink), and every other outcome must be a
finite float32 28x28 picture in [0, 1]. Any other exception is a bug a visitor could trigger.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from digitlib import ink
from digitlib.preprocess import ImageError, to_mnist

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

DTYPES = st.sampled_from(
    [np.uint8, np.uint16, np.int8, np.int32, np.int64, np.float16, np.float32, np.float64, bool]
)
# Sides from empty to thin strips longer than MAX_SIDE: the cases that broke _shrink.
SIDES = st.one_of(st.integers(0, 40), st.sampled_from([1, 2, 3, 600, 1100, 3000]))


@st.composite
def arrays(draw) -> np.ndarray:
    ndim = draw(st.integers(0, 4))
    shape = [draw(SIDES) for _ in range(ndim)]
    if ndim >= 3:
        shape[2] = draw(st.sampled_from([0, 1, 2, 3, 4, 5]))
    if ndim == 4:
        shape[3] = draw(st.integers(0, 2))
    if np.prod(shape, dtype=np.int64) > 20_000:  # thin strips only: keep each example fast
        shape = [min(s, 3) if i < 2 and s != max(shape[:2]) else s for i, s in enumerate(shape)]
    dtype = np.dtype(draw(DTYPES))
    elements = None
    if dtype.kind == "f":
        elements = st.floats(allow_nan=True, allow_infinity=True, width=dtype.itemsize * 8)
    return draw(hnp.arrays(dtype, tuple(shape), elements=elements))


def check(outcome) -> None:
    if outcome is None:
        return
    assert outcome.shape == (28, 28) and outcome.dtype == np.float32
    assert np.isfinite(outcome).all() and outcome.min() >= 0 and outcome.max() <= 1


def read(image) -> None:
    try:
        outcome = to_mnist(image)
    except ImageError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    check(outcome)


@SETTINGS
@given(arrays())
def test_any_array(array):
    read(array)


@SETTINGS
@given(arrays(), st.integers(0, 3), st.booleans())
def test_any_payload(array, count, with_background):
    payload = {
        "background": array if with_background else None,
        "layers": [array] * count,
        "composite": array,
    }
    read(payload)


@SETTINGS
@given(
    st.sampled_from(["1", "L", "LA", "P", "RGB", "RGBA", "I;16", "I", "F", "CMYK"]),
    st.integers(1, 60),
    st.integers(1, 60),
    st.sampled_from(["PNG", "TIFF", "GIF", "BMP", "JPEG", "WEBP"]),
    st.integers(0, 255),
)
def test_any_image_file(mode, width, height, fmt, ink):
    image = Image.new(mode, (width, height))
    if mode not in ("I;16",):
        image.paste(
            ink if mode not in ("RGB", "RGBA", "CMYK") else (ink,) * len(mode),
            (0, 0, width // 2, height // 2),
        )
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=fmt)
    except (OSError, ValueError, KeyError):
        return  # PIL cannot write this mode in that format: nothing to read
    read(buffer.getvalue())
    read(image)


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes(blob):
    read(blob)


@SETTINGS
@given(st.binary(min_size=8, max_size=200))
def test_any_bytes_after_a_png_signature(tail):
    read(b"\x89PNG\r\n\x1a\n" + tail)


@pytest.mark.parametrize(
    "image",
    [42, "x", {"layers": "abc"}, {"layers": [None, 3, "q"]}, [[1, 2], [3]], object()],
    ids=["int", "str", "layers-str", "layers-junk", "ragged", "object"],
)
def test_wrong_types_are_image_errors(image):
    read(image)


def test_shrink_keeps_thin_strips():
    strip = np.ones((1, 3000), np.float32)
    assert ink._shrink(strip).shape == (1, 500)
