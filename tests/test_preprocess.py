"""From any drawing to MNIST form: polarity, lighting, crop, 20-pixel box, centre of mass."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from PIL import Image

from digitlib import ink, preprocess
from digitlib.preprocess import ImageError, center_of_mass, ink_box, to_mnist

from .drawing import drawn, photo, sketch_payload

CASES = list(
    itertools.product(
        ["one", "zero", "seven"],
        [(70, 70), (140, 140), (200, 90), (100, 210)],  # centre positions
        [60, 150, 230],  # heights
        [4, 14, 28],  # stroke widths
    )
)


def assert_mnist_form(out: np.ndarray) -> None:
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0 and out.max() > 0.9
    cy, cx = center_of_mass(out)
    assert abs(cy - 13.5) <= 1.0 and abs(cx - 13.5) <= 1.0, (cy, cx)
    box = ink_box(out, level=0.0)
    assert box.height <= 20 and box.width <= 20, box
    assert max(box.height, box.width) >= 19  # the longer side is scaled to 20


@pytest.mark.parametrize(("shape", "centre", "size", "width"), CASES)
def test_sketchpad_payload_to_mnist_form(shape, centre, size, width):
    cx, cy = centre
    size = min(size, 2 * min(cx, cy, 280 - cx, 280 - cy) - width)
    out = to_mnist(sketch_payload(drawn(shape, cx, cy, size, width)))
    assert_mnist_form(out)


@pytest.mark.parametrize(("shape", "centre", "size", "width"), CASES[::2])
@pytest.mark.parametrize("dark_on_light", [True, False], ids=["dark-ink", "light-ink"])
def test_photo_to_mnist_form_in_both_polarities(shape, centre, size, width, dark_on_light):
    cx, cy = centre
    size = min(size, 2 * min(cx, cy, 280 - cx, 280 - cy) - width)
    picture = photo(drawn(shape, cx, cy, size, width), dark_on_light=dark_on_light, gradient=0.25)
    out = to_mnist(picture)
    assert_mnist_form(out)
    # The same picture with its colours inverted is the same digit.
    assert np.abs(out - to_mnist(255 - picture)).max() < 0.02


def test_aspect_ratio_is_kept():
    out = to_mnist(sketch_payload(drawn("one", 140, 140, 200, 10)))
    box = ink_box(out, level=0.3)
    assert box.height == 20 and box.width <= 4


@pytest.mark.parametrize(
    "blank",
    [
        None,
        {"background": np.full((280, 280, 4), 255, np.uint8), "layers": [], "composite": None},
        {
            "background": np.full((280, 280, 4), 255, np.uint8),
            "layers": [np.zeros((280, 280, 4), np.uint8)],
            "composite": np.full((280, 280, 4), 255, np.uint8),
        },
        np.full((100, 100, 3), 255, np.uint8),  # all white
        np.zeros((100, 100), np.uint8),  # all black
        np.full((50, 50), 0.5, np.float32),  # flat grey
    ],
    ids=["none", "no-layers", "empty-layer", "white", "black", "grey"],
)
def test_nothing_to_read_gives_none(blank):
    assert to_mnist(blank) is None


def png_bytes(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", **kw)
    return buf.getvalue()


def digit_image(mode: str) -> Image.Image:
    ink = drawn("seven", 140, 140, 200, 18)
    gray = Image.fromarray(((1 - ink) * 255).astype(np.uint8))  # dark on light
    if mode == "I;16":
        return Image.fromarray(((1 - ink) * 65535).astype(np.uint16))
    if mode == "P":
        return gray.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    return gray.convert(mode)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "I;16", "1"])
def test_image_files_of_every_mode(tmp_path, mode):
    path = tmp_path / f"digit-{mode.replace(';', '')}.png"
    digit_image(mode).save(path)
    assert_mnist_form(to_mnist(path))
    assert_mnist_form(to_mnist(path.read_bytes()))


def test_exif_rotation_is_applied(tmp_path):
    upright = digit_image("L")
    expected = to_mnist(upright)
    stored = upright.rotate(90, expand=True)  # what the phone wrote...
    exif = Image.Exif()
    exif[0x0112] = 6  # ...and its note: rotate 90° clockwise to view
    path = tmp_path / "phone.jpg"
    stored.convert("RGB").save(path, exif=exif, quality=95)
    out = to_mnist(path)
    assert np.abs(out - expected).mean() < 0.03


def test_huge_image_is_downscaled_not_loaded_whole(tmp_path):
    big = Image.new("L", (10000, 10000), 255)
    big.paste(digit_image("L").resize((6000, 6000)), (2000, 2000))
    path = tmp_path / "huge.png"
    big.save(path, compress_level=1)
    assert_mnist_form(to_mnist(path))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is a text file, not a picture", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image"),
    ],
    ids=["text", "corrupt-png-header"],
)
def test_non_images_give_a_clear_error(tmp_path, content, message):
    path = tmp_path / "upload.png"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=message):
        to_mnist(path)


def test_truncated_png_gives_a_clear_error(tmp_path):
    path = tmp_path / "cut.png"
    path.write_bytes(png_bytes(digit_image("L"))[:300])
    with pytest.raises(ImageError, match="damaged or truncated|not an image"):
        to_mnist(path)


def test_missing_file_and_wrong_shapes_are_errors(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        to_mnist(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="shape"):
        to_mnist(np.zeros((4, 28, 28, 2)))
    with pytest.raises(ImageError, match="cannot read"):
        to_mnist(42)


def test_to_model_input_scales_and_adds_channel():
    x = np.array([[[0, 255]]], np.uint8)
    out = preprocess.to_model_input(x)
    assert out.shape == (1, 1, 2, 1) and out.dtype == np.float32
    assert out.ravel().tolist() == [0.0, 1.0]


def test_decompression_bomb_is_refused_with_a_message(tmp_path):
    path = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000), 1).save(path)  # 400 megapixels, a few kilobytes on disk
    with pytest.raises(ImageError, match="too large"):
        to_mnist(path)


@pytest.mark.parametrize("shape", [(1, 3000), (3, 3000), (3000, 1), (2, 1100, 3), (1, 600, 4)])
def test_thin_images_are_read_not_crashed(shape):
    thin = np.zeros(shape, np.uint8)
    thin[..., 0, : shape[1] // 2] = 255
    assert preprocess.ink_map(thin).ndim == 2
    result = to_mnist(thin)
    assert result is None or result.shape == (28, 28)


def test_thin_sketch_layer_is_read_not_crashed():
    layer = np.zeros((1, 600, 4), np.uint8)
    layer[..., 3] = 255
    result = to_mnist({"background": None, "layers": [layer], "composite": None})
    assert result is None or result.shape == (28, 28)


def test_too_large_message_states_the_real_limit(tmp_path):
    path = tmp_path / "bomb.png"
    Image.new("1", (12000, 10001), 1).save(path)  # just over 120 megapixels
    assert 12000 * 10001 > ink.MAX_PIXELS
    with pytest.raises(ImageError) as err:
        to_mnist(path)
    assert f"{ink.MAX_PIXELS:,} pixels" in str(err.value)


@pytest.fixture(scope="module")
def quick():
    from digitlib.data import load_mnist

    return load_mnist(quick=True)


def test_mnist_form_input_reaches_the_model_unchanged(quick):
    _, (x_test, _) = quick
    for digit in x_test[:50]:
        expected = digit.astype(np.float32) / 255.0
        for given in (digit, digit[..., None], expected, Image.fromarray(digit)):
            out = to_mnist(given)
            assert out is not None and np.array_equal(out, expected)
    assert to_mnist(np.zeros((28, 28), np.uint8)) is None


def test_what_is_not_mnist_form_is_still_brought_to_it(quick):
    from digitlib import transforms
    from digitlib.preprocess import mnist_form

    _, (x_test, _) = quick
    digits = x_test[:20]
    not_form = {
        "dark on light": 255 - digits,
        "off centre": transforms.shift(digits, 4, 0),
        "small": transforms.scale(digits, 0.6),
        "large": np.stack(
            [np.asarray(Image.fromarray(d[4:24, 4:24]).resize((28, 28))) for d in digits]
        ),
    }
    for name, images in not_form.items():
        for img in images:
            assert mnist_form(img) is None, name
            assert_mnist_form(to_mnist(img))
    assert mnist_form(np.zeros((28, 28, 3), np.uint8)) is None  # colour: a photo, not MNIST
