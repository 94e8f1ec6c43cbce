"""A visitor at the sketchpad: Chromium opens the demo and draws at once, then reads the label.

No tool is clicked first: a visitor does not know to, so the first stroke on a fresh page must
draw and be read.
"""

from __future__ import annotations

import pytest

from .browser import chromium_page

pytestmark = pytest.mark.browser

# Mouse strokes as fractions (0-1) of the drawing square: each digit as people draw it.
STROKES = {
    "1": [[(0.45, 0.2), (0.55, 0.12), (0.55, 0.88)]],
    "7": [[(0.25, 0.18), (0.75, 0.18), (0.42, 0.88)]],
}


def draw(page, strokes) -> None:
    canvas = page.locator("#sketchpad canvas").first
    canvas.wait_for(state="visible")
    box = canvas.bounding_box()
    # The canvas element is wider than the 280x280 image it shows, centred in it; a stroke that
    # starts outside the image draws nothing, so aim inside a square a little smaller than it.
    side = 0.8 * min(box["width"], box["height"])
    left = box["x"] + (box["width"] - side) / 2
    top = box["y"] + (box["height"] - side) / 2
    for stroke in strokes:
        points = [(left + fx * side, top + fy * side) for fx, fy in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y, steps=15)
        page.mouse.up()


@pytest.mark.parametrize("digit", sorted(STROKES))
def test_drawing_a_digit_shows_that_digit(demo_url, tmp_path, digit):
    with chromium_page() as page:
        page.goto(demo_url)
        draw(page, STROKES[digit])
        label = page.locator("#sketch-label")
        try:
            page.wait_for_function(
                "() => /read a/.test(document.querySelector('#sketch-message')?.innerText || '')",
                timeout=20_000,
            )
        finally:
            page.screenshot(path=str(tmp_path / f"demo-{digit}.png"))
        message = page.locator("#sketch-message").inner_text()
        assert (tmp_path / f"demo-{digit}.png").stat().st_size > 10_000
        assert f"read a {digit}" in message, f"{message!r}; label: {label.inner_text()!r}"
        assert label.locator(".output-class").inner_text().strip() == digit
