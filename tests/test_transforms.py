"""Each disturbance in ``digitlib.transforms`` does what it says, repeatably."""

from __future__ import annotations

import numpy as np
import pytest

from digitlib import pictures, robustness
from digitlib import transforms as T
from digitlib.data import load_mnist
from digitlib.preprocess import center_of_mass, ink_box


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    _, (x_test, _) = load_mnist(quick=True)
    return x_test[:24]


def grey(value: int = 128, n: int = 4) -> np.ndarray:
    return np.full((n, 28, 28), value, np.uint8)


def bar(vertical: bool = True) -> np.ndarray:
    img = np.zeros((1, 28, 28), np.uint8)
    if vertical:
        img[0, 6:22, 13:15] = 255
    else:
        img[0, 13:15, 6:22] = 255
    return img


def change(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(int) - b.astype(int)).mean())


@pytest.mark.parametrize("kind", list(robustness.CORRUPTIONS))
def test_every_kind_is_seeded_keeps_the_format_and_grows_with_severity(digits, kind):
    out = [robustness.corrupt(digits, kind, s, seed=3) for s in (1, 2, 3)]
    for o in out:
        assert o.shape == digits.shape and o.dtype == np.uint8
    assert np.array_equal(out[0], robustness.corrupt(digits, kind, 1, seed=3))
    d1, d2, d3 = (change(o, digits) for o in out)
    assert 0 < d1 <= d2 + 0.5 and d1 < d3, (d1, d2, d3)


def test_corrupt_takes_a_severity_per_image_and_refuses_unknowns(digits):
    sev = np.array([1, 3] * 12)
    mixed = robustness.corrupt(digits, "gaussian noise", sev, seed=1)
    assert np.array_equal(
        mixed[sev == 3], robustness.corrupt(digits[sev == 3], "gaussian noise", 3, 1)
    )
    with pytest.raises(ValueError, match="unknown corruption"):
        robustness.corrupt(digits, "fog", 1)
    with pytest.raises(ValueError, match="severity must be 1, 2 or 3"):
        robustness.corrupt(digits, "blur", 4)


def test_random_kinds_differ_by_seed(digits):
    for kind in ("gaussian noise", "impulse noise", "specks", "rotation", "ruled paper"):
        assert not np.array_equal(
            robustness.corrupt(digits, kind, 2, 0), robustness.corrupt(digits, kind, 2, 1)
        )


def test_gaussian_noise_has_the_asked_spread():
    out = T.gaussian_noise(grey(128, 50), 0.1, seed=0) / 255.0
    assert abs(out.std() - 0.1) < 0.005 and abs(out.mean() - 128 / 255) < 0.005


def test_shot_noise_keeps_the_mean_and_black_stays_black():
    out = T.shot_noise(grey(128, 50), 20, seed=0) / 255.0
    assert abs(out.mean() - 128 / 255) < 0.01 and out.std() > 0.1
    assert not T.shot_noise(grey(0), 20).any()


def test_impulse_noise_turns_a_share_white_or_black():
    out = T.impulse_noise(grey(128, 50), 0.08, seed=0)
    white, black = (out == 255).mean(), (out == 0).mean()
    assert abs(white - 0.04) < 0.005 and abs(black - 0.04) < 0.005
    assert ((out == 128) | (out == 0) | (out == 255)).all()


def test_specks_only_add_small_spots_of_ink():
    out = T.specks(grey(0, 20), 3, seed=0)
    changed = (out > 0).sum(axis=(1, 2))
    assert (changed >= 1).all() and (changed <= 3 * 4).all()
    assert out.max() >= 150


def test_blur_spreads_ink_and_keeps_it(digits):
    out = T.blur(digits, 1.0)
    assert out.max() < digits.max()
    assert abs(out.astype(float).sum() / digits.astype(float).sum() - 1) < 0.03


def test_strokes_thicken_and_thin_by_degrees(digits):
    sums = [
        T.thin(digits, 1).sum(),
        T.thin(digits, 0.75).sum(),
        T.thin(digits, 0.5).sum(),
        digits.sum(),
        T.thicken(digits, 0.5).sum(),
        T.thicken(digits, 1).sum(),
        T.thicken(digits, 1.5).sum(),
    ]
    assert sums == sorted(sums) and len(set(sums)) == len(sums)
    assert np.array_equal(T.thicken(digits, 0), digits)
    with pytest.raises(ValueError):
        T.thin(digits, -1)


def test_geometry_moves_turns_slants_and_zooms():
    img = bar(vertical=True)
    assert np.array_equal(T.shift(img, [2], [-1])[0, 5:21, 15:17], img[0, 6:22, 13:15])
    turned = ink_box(T.rotate(img, 90)[0], level=100)
    assert turned.width > 12 and turned.height <= 3
    slanted = T.shear(img, 0.5)[0] > 100
    top, bottom = (np.flatnonzero(slanted[r]).mean() for r in (7, 20))
    assert abs((top - bottom) - 0.5 * 13) < 1.5  # rows above the centre move right
    big, small = (ink_box(T.scale(img, f)[0], level=100) for f in (1.25, 0.75))
    assert abs(big.height - 20) <= 1 and abs(small.height - 12) <= 1


def test_per_image_parameters(digits):
    angles = np.linspace(-30, 30, len(digits))
    out = T.rotate(digits, angles)
    assert np.array_equal(out[3], T.rotate(digits[3:4], angles[3])[0])


def test_perspective_moves_corners_by_about_the_amount(digits):
    assert change(T.perspective(digits, 0.0), digits) < 1.0
    small, large = (
        change(T.perspective(digits, 1.0), digits),
        change(T.perspective(digits, 3), digits),
    )
    assert 0 < small < large


def test_uneven_light_brightens_the_paper_along_a_ramp_and_leaves_full_ink():
    img = np.zeros((3, 28, 28), np.uint8)
    img[:, 10:18, 13] = 255
    out = T.uneven_light(img, 0.4, seed=0)
    assert (out[:, 10:18, 13] == 255).all()
    paper = out.astype(float).copy()
    paper[:, 10:18, 13] = np.nan
    assert np.nanmin(paper) <= 1 and abs(np.nanmax(paper) - 0.4 * 255) <= 1.5


def test_contrast_and_coloured_ink_narrow_the_range():
    img = np.zeros((1, 28, 28), np.uint8)
    img[0, 10:18, 13] = 255
    low = T.low_contrast(img, 0.4)
    assert abs(low.min() - 0.3 * 255) <= 1 and abs(low.max() - 0.7 * 255) <= 1
    blue, faded = T.coloured_ink(img, T.BLUE_INK), T.coloured_ink(img, T.FADED_BLUE_INK)
    assert faded.max() - faded.min() < blue.max() - blue.min() < 255
    assert blue.min() == faded.min() > 0  # the paper is not quite white


def test_paper_lines_are_faint_and_span_the_frame():
    blank = np.zeros((2, 28, 28), np.uint8)
    ruled = T.ruled_paper(blank, 7, 0.4, seed=0)
    lit_rows = (ruled == 102).all(axis=2)
    assert lit_rows.sum(axis=1).tolist() == [4, 4]  # every 7th of 28 rows
    assert set(np.unique(ruled)) == {0, 102}
    squared = T.squared_paper(blank, 7, 0.4, seed=0)
    assert (squared == 102).all(axis=1).sum(axis=1).tolist() == [4, 4]  # columns too
    ink = bar()
    assert (T.ruled_paper(ink, 7, 0.4)[ink > 0] == 255).all()  # ink stays on top


def test_jpeg_loses_more_at_lower_quality(digits):
    assert 0 < change(T.jpeg(digits, 90), digits) < change(T.jpeg(digits, 10), digits)


def test_photo_is_a_seeded_rgb_picture_of_the_digit_on_its_paper(digits):
    pic = pictures.photo(digits[0], "ruled", seed=5)
    assert pic.dtype == np.uint8 and pic.ndim == 3 and pic.shape[2] == 3
    assert 160 <= min(pic.shape[:2]) and max(pic.shape[:2]) <= 320
    assert np.array_equal(pic, pictures.photo(digits[0], "ruled", seed=5))
    plain = pictures.photo(digits[0], "plain", seed=5, light=0.0, quality=95).mean(axis=2)
    dark = plain < 100
    assert 0.005 < dark.mean() < 0.25  # the digit, and only the digit, is dark
    rows = np.median(
        pictures.photo(digits[1] * 0, "ruled", seed=2, light=0.0, quality=95)[..., 0], 1
    )
    assert (rows < 200).sum() >= 8 and (rows > 220).sum() >= 0.5 * len(rows)  # faint lines
    with pytest.raises(ValueError, match="paper must be one of"):
        pictures.photo(digits[0], "papyrus")
    assert len(pictures.photo_suite(digits[:3], "squared", seed=1)) == 3


def test_sketch_is_a_sketchpad_value_with_the_digit_somewhere_on_the_pad(digits):
    value = pictures.sketchpad_drawing(digits[0], seed=1)
    alpha = value["layers"][0][..., 3]
    box = ink_box(alpha / 255.0, level=0.3)
    assert value["background"].shape == (280, 280, 4) and box is not None
    assert 60 <= max(box.height, box.width) <= 0.75 * 280
    cy, cx = center_of_mass(alpha.astype(float))
    assert 0 < cy < 280 and 0 < cx < 280
    assert len(pictures.sketchpad_suite(digits[:2])) == 2


@pytest.fixture(scope="module")
def quick_sample():
    return load_mnist(quick=True)


def test_transforms_move_rotate_and_reweight_ink(quick_sample):
    from digitlib import transforms
    from digitlib.preprocess import center_of_mass

    _, (xt, _) = quick_sample
    digits = xt[:20]
    moved = transforms.shift(digits, 3, -2)
    before = np.array([center_of_mass(d.astype(float)) for d in digits])
    after = np.array([center_of_mass(d.astype(float)) for d in moved])
    assert np.allclose((after - before).mean(axis=0), [-2, 3], atol=0.3)
    assert transforms.thicken(digits).sum() > digits.sum() > transforms.thin(digits).sum()
    turned = transforms.rotate(digits, 90)
    assert turned.shape == digits.shape and turned.dtype == np.uint8
    back = transforms.rotate(turned, -90)
    assert np.abs(back.astype(int) - digits).mean() < 10
