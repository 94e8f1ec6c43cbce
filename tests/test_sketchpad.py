"""The book's "Try it" page in Chromium: it reads drawings as the Python Recognizer does.

The page (book/static/sketchpad/) runs its own JavaScript preprocessing and the exported ONNX
model in ONNX Runtime Web. Here it gets the very ink the Python side gets, and the two must
see the same 28x28 images and read the same digits.
"""

from __future__ import annotations

import base64
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from digitlib.data import load_quick_sample

from .browser import chromium_page
from .drawing import CANVAS, drawn, place_digit
from .sketchpad_site import PAGE, build_site, serve

pytestmark = pytest.mark.browser


@dataclass
class Site:
    url: str
    folder: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory, shipped_onnx):
    folder = build_site(tmp_path_factory.mktemp("sketchpad") / "site", shipped_onnx)
    with serve(folder) as url:
        yield Site(url, folder)


@pytest.fixture(scope="module")
def page(site):
    with chromium_page() as page:
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(site.url + PAGE)
        page.wait_for_function("() => window.digitsSketchpad", timeout=30_000)
        page.evaluate("() => window.digitsSketchpad.ready")
        page.requests = requests
        yield page


def alpha_of(ink: np.ndarray) -> np.ndarray:
    """Ink in [0, 1] as the 8-bit alpha of a canvas."""
    return np.round(np.clip(ink, 0, 1) * 255).astype(np.uint8)


def payload(alpha: np.ndarray) -> dict:
    """A sketchpad value whose layer has this alpha: what the Python demo receives."""
    layer = np.zeros(alpha.shape + (4,), np.uint8)
    layer[..., 3] = alpha
    return {"background": None, "layers": [layer], "composite": None}


def drawings(count_digits: int = 170, count_shapes: int = 60, seed: int = 0) -> list[np.ndarray]:
    """Real MNIST digits and drawn strokes at many sizes, places and thicknesses (8-bit ink)."""
    rng = np.random.default_rng(seed)
    (_, _), (x_test, _) = load_quick_sample()
    out = []
    for i in range(count_digits):
        size = int(rng.integers(28, 260))
        top, left = (int(rng.integers(0, CANVAS - size + 1)) for _ in range(2))
        ink = place_digit(x_test[i], size, top, left)
        thicken = int(rng.integers(1, 4)) * size // 90  # thicker pens on bigger digits
        if thicken > 1:
            ink = ndimage.grey_dilation(ink, size=(thicken, thicken))
        out.append(alpha_of(ink))
    for i in range(count_shapes):
        size = float(rng.uniform(30, 250))
        margin = size / 2 + 16
        cx, cy = (float(rng.uniform(margin, CANVAS - margin)) for _ in range(2))
        width = int(rng.integers(2, 30))
        out.append(alpha_of(drawn(("one", "zero", "seven")[i % 3], cx, cy, size, width)))
    return out


def read_in_page(page, alphas: list[np.ndarray]) -> list[dict]:
    results = []
    for start in range(0, len(alphas), 25):  # a few MB per call
        chunk = [base64.b64encode(a.tobytes()).decode() for a in alphas[start : start + 25]]
        results += page.evaluate(
            "([inks, w, h]) => window.digitsSketchpad.readMany(inks, w, h)",
            [chunk, CANVAS, CANVAS],
        )
    return results


def compare(recognizer, alphas, results) -> tuple[np.ndarray, np.ndarray, float]:
    """Per drawing: largest pixel difference, same digit; and the largest probability gap."""
    pixel, same, prob = [], [], 0.0
    for alpha, js in zip(alphas, results, strict=True):
        py = recognizer.predict(payload(alpha))
        assert py.digit is not None and js["digit"] is not None, "every drawing has ink"
        image = np.asarray(js["image"], np.float32).reshape(28, 28)
        pixel.append(float(np.abs(image - py.input_28x28).max()))
        same.append(js["digit"] == py.digit)
        prob = max(prob, float(np.abs(np.asarray(js["probabilities"]) - py.probabilities).max()))
    return np.array(pixel), np.array(same), prob


def test_page_reads_drawings_as_the_python_recognizer_does(page, recognizer):
    alphas = drawings()
    assert len(alphas) >= 200
    pixel, same, prob = compare(recognizer, alphas, read_in_page(page, alphas))
    print(
        f"{len(alphas)} drawings: median {np.median(pixel):.1e}, max {pixel.max():.1e}, "
        f"same digit {same.mean():.2%}, probabilities within {prob:.1e}"
    )
    # The page resamples as Pillow does, in float32: the images agree to rounding error.
    assert np.median(pixel) < 1e-5, np.median(pixel)
    assert (pixel < 1e-3).mean() >= 0.99, sorted(pixel)[-5:]
    assert same.mean() >= 0.99, f"digits agree on {same.mean():.1%}"
    assert prob < 1e-3, "ONNX Runtime Web and Keras give the same probabilities"


def test_strokes_drawn_by_the_page_read_as_in_python(page, recognizer):
    """Strokes through the page's own pen code; Python reads the canvas the page drew."""
    rng = np.random.default_rng(1)
    templates = [
        [[(0.5, 0.1), (0.5, 0.9)]],  # 1
        [[(0.2, 0.1), (0.8, 0.1), (0.35, 0.9)]],  # 7
        [[(0.2, 0.25), (0.5, 0.05), (0.8, 0.25), (0.2, 0.9), (0.85, 0.9)]],  # 2
        [[(0.3, 0.05), (0.2, 0.5), (0.8, 0.5)], [(0.65, 0.2), (0.65, 0.95)]],  # 4
    ]
    pixel, same = [], []
    for i in range(24):
        size = float(rng.uniform(60, 240))
        x0, y0 = (float(rng.uniform(10, CANVAS - size - 10)) for _ in range(2))
        strokes = [[[x0 + fx * size, y0 + fy * size] for fx, fy in s] for s in templates[i % 4]]
        width = int(rng.integers(6, 30))
        page.evaluate("() => window.digitsSketchpad.clear()")
        page.evaluate("([s, w]) => window.digitsSketchpad.drawStrokes(s, w)", [strokes, width])
        js = page.evaluate("() => window.digitsSketchpad.readCanvas()")
        alpha = np.frombuffer(base64.b64decode(js["alpha"]), np.uint8).reshape(CANVAS, CANVAS)
        py = recognizer.predict(payload(alpha))
        image = np.asarray(js["image"], np.float32).reshape(28, 28)
        pixel.append(float(np.abs(image - py.input_28x28).max()))
        same.append(js["digit"] == py.digit)
    assert np.median(pixel) < 1e-5 and max(pixel) < 1e-2, pixel
    assert all(same)


@pytest.mark.parametrize(
    "digit, strokes",
    [
        ("1", [[(0.45, 0.2), (0.55, 0.12), (0.55, 0.88)]]),
        ("7", [[(0.25, 0.18), (0.75, 0.18), (0.42, 0.88)]]),
    ],
)
def test_drawing_with_the_mouse_shows_the_digit(page, tmp_path, digit, strokes):
    page.click("#sketchpad-clear")
    assert page.locator("#sketchpad-answer").get_attribute("data-digit") == ""
    box = page.locator("#sketchpad-canvas").bounding_box()
    for stroke in strokes:
        points = [
            (box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in stroke
        ]
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y, steps=12)
        page.mouse.up()
    answer = page.locator("#sketchpad-answer")
    page.wait_for_function(
        "(d) => document.querySelector('#sketchpad-answer').dataset.digit === d",
        arg=digit,
        timeout=10_000,
    )
    assert f"reads a {digit}" in answer.inner_text()
    top = page.locator(".sketchpad-bar.sketchpad-top")
    assert top.get_attribute("data-digit") == digit, "the likeliest digit's bar is highlighted"
    # The 28x28 view shows the digit: white ink on black.
    ink = page.evaluate(
        "() => Array.from(document.querySelector('#sketchpad-input').getContext('2d')"
        ".getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0))"
    )
    assert 20 < sum(v > 128 for v in ink) < 400
    page.screenshot(path=str(tmp_path / "tryit.png"))


def test_page_requests_nothing_outside_the_site(page, site):
    assert page.requests, "the page loaded"
    outside = [u for u in page.requests if not u.startswith(site.url)]
    assert not outside, outside
    for needed in ("digit_cnn.onnx", "ort-wasm-simd-threaded.wasm", "mnist.js"):
        assert any(u.endswith(needed) for u in page.requests), needed


def test_page_from_a_file_says_how_to_serve_it(page, site):
    """Chromium runs no module script from file://: the page says what to do instead."""
    tab = page.context.browser.new_page()
    try:
        tab.goto((site.folder / PAGE).as_uri())
        status = tab.locator("#sketchpad-status").inner_text()
    finally:
        tab.close()
    assert "python -m http.server -d book/_build/html" in status


def test_a_build_without_the_model_says_how_to_make_it(page, site, tmp_path):
    """A book built without `make book`'s assets tells the reader what is missing."""
    broken = tmp_path / "site"
    shutil.copytree(site.folder, broken, ignore=shutil.ignore_patterns("*.onnx"))
    tab = page.context.browser.new_page()
    try:
        with serve(broken) as url:
            tab.goto(url + PAGE)
            tab.wait_for_selector("#sketchpad-status.sketchpad-error", timeout=30_000)
            status = tab.locator("#sketchpad-status").inner_text()
    finally:
        tab.close()
    assert "could not load the model (digit_cnn.onnx)" in status
    assert "make book" in status
