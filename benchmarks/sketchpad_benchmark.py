"""The book's "Try it" page: does the exported model agree with Keras, and how fast is the page?

    python benchmarks/sketchpad_benchmark.py            # full MNIST test set where it is found
    python benchmarks/sketchpad_benchmark.py --quick    # the shipped quick sample, fewer loads

Exports the shipped model to ONNX (``digitlib.export``) and compares ONNX Runtime with Keras on
the MNIST test set. Then serves the page on 127.0.0.1 (as the tests do) and opens it in
Chromium with an empty cache, several times: from navigation to the model and runtime loaded
and warmed up, and the time of one prediction (preprocessing plus the network) afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' page builder and browser launcher, reused here

import numpy as np  # noqa: E402

from digitlib import Recognizer, data  # noqa: E402
from digitlib.export import agreement, export_onnx, onnx_probabilities, onnx_session  # noqa: E402
from digitlib.preprocess import to_model_input  # noqa: E402
from tests.browser import ARGS, CHROMIUM  # noqa: E402
from tests.sketchpad_site import PAGE, build_site, serve  # noqa: E402

# A 7 in three strokes of different lengths, in canvas pixels, moved a little each time.
STROKES = [[[70, 50], [210, 50], [120, 240]], [[90, 150], [180, 150]]]


def per_image_ms(fn, images: np.ndarray, repeats: int = 200) -> float:
    for i in range(5):
        fn(images[i : i + 1])
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(images[i : i + 1])
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def export_section(recognizer, onnx_path: Path, quick: bool) -> None:
    (_, _), (x_test, _) = data.load_mnist(quick=quick)
    images = to_model_input(x_test)
    result = agreement(onnx_path, recognizer, images)
    session = onnx_session(onnx_path)
    keras_ms = per_image_ms(recognizer.probabilities, images)
    onnx_ms = per_image_ms(lambda x: onnx_probabilities(session, x), images)
    print(f"ONNX file: {onnx_path.stat().st_size / 1024:.0f} KB\n")
    print(
        "| test images | same digit | largest probability difference | Keras ms/image | "
        "ONNX Runtime ms/image |"
    )
    print("| --- | --- | --- | --- | --- |")
    print(
        f"| {result.images:,} | {result.same_digit:.2%} | {result.max_difference:.1e} | "
        f"{keras_ms:.2f} | {onnx_ms:.2f} |\n"
    )


def page_section(site: Path, loads: int, predictions: int) -> None:
    from playwright.sync_api import sync_playwright

    ready, load, first, total, pre = [], [], [], [], []
    with serve(site) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        for i in range(loads):
            context = browser.new_context()  # an empty cache: a first visit
            page = context.new_page()
            page.goto(url + PAGE)
            page.wait_for_function("() => window.digitsSketchpad", timeout=60_000)
            page.evaluate("() => window.digitsSketchpad.ready")
            timings = page.evaluate("() => window.digitsSketchpad.timings")
            ready.append(timings["readyAt"])
            load.append(timings["loadMs"])
            first.append(timings["firstRunMs"])
            if i == 0:
                for k in range(predictions):
                    strokes = [[[x + k % 20, y + k % 13] for x, y in s] for s in STROKES]
                    page.evaluate("() => window.digitsSketchpad.clear()")
                    page.evaluate("(s) => window.digitsSketchpad.drawStrokes(s)", strokes)
                    result = page.evaluate("() => window.digitsSketchpad.readCanvas()")
                    total.append(result["ms"])
                    pre.append(result["preprocessMs"])
            context.close()
        browser.close()
    med = statistics.median
    print(f"| page, {loads} loads with an empty cache | median ms | worst ms |")
    print("| --- | --- | --- |")
    print(
        f"| navigation to ready (model and runtime loaded, first run done) | "
        f"{med(ready):.0f} | {max(ready):.0f} |"
    )
    print(f"| of which: runtime and model loaded | {med(load):.0f} | {max(load):.0f} |")
    print(f"| of which: first run (sets up the kernels) | {med(first):.0f} | {max(first):.0f} |")
    print(
        f"| one prediction ({predictions} drawings): preprocessing + network | "
        f"{med(total):.1f} | {max(total):.1f} |"
    )
    print(
        f"| of which: preprocessing (280x280 canvas to 28x28) | {med(pre):.1f} | {max(pre):.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="quick sample, one page load")
    args = parser.parse_args()
    recognizer = Recognizer.load()
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = export_onnx(Path(tmp) / "digit_cnn.onnx")  # calibrated, as Recognizer is
        export_section(recognizer, onnx_path, args.quick)
        site = build_site(Path(tmp) / "site", onnx_path)
        page_section(site, loads=1 if args.quick else 5, predictions=10 if args.quick else 100)
    print(f"\nCPU cores: {os.cpu_count()}; Chromium {CHROMIUM}, headless, no GPU.")


if __name__ == "__main__":
    main()
