"""How fast the shipped model reads a digit, by call path, and how many it reads per second.

    python benchmarks/inference_benchmark.py

Single-image latency through ``model.predict``, ``model(x)`` and the compiled ``tf.function``
path that ``Recognizer`` uses; ``Recognizer.predict`` end to end on a 280x280 sketchpad
payload (preprocessing included); and batch throughput. Medians after warm-up.
"""

from __future__ import annotations

import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from digitlib import Recognizer, data  # noqa: E402
from digitlib.pictures import sketchpad_drawing  # noqa: E402
from digitlib.preprocess import to_model_input  # noqa: E402


def timed(fn, repeats: int) -> list[float]:
    for _ in range(5):
        fn()  # warm-up: tracing, allocation
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def row(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    p95 = statistics.quantiles(ms, n=20)[-1]
    return f"| {name} | {statistics.median(ms):.2f} | {p95:.2f} |"


def main() -> None:
    recognizer = Recognizer.load()
    model = recognizer.model
    _, (x_test, _) = data.load_mnist(quick=True)
    one = to_model_input(x_test[:1])
    payload = sketchpad_drawing(x_test[0])  # a 280x280 pad, as the demo sends it

    print(f"Machine: {os.cpu_count()} cores, {platform.platform()}\n")
    print("| single image | median ms | p95 ms |")
    print("| --- | ---: | ---: |")
    print(row("model.predict(x)", timed(lambda: model.predict(one, verbose=0), 50)))
    print(row("model(x) (eager)", timed(lambda: model(one, training=False), 200)))
    print(row("compiled tf.function", timed(lambda: recognizer.probabilities(one), 500)))
    print(
        row("Recognizer.predict(sketch payload)", timed(lambda: recognizer.predict(payload), 300))
    )

    print("\n| batch size | images/s (compiled path) |")
    print("| ---: | ---: |")
    for size in (1, 32, 256, 1024):
        batch = to_model_input(
            x_test[:size] if size <= len(x_test) else np.resize(x_test, (size, 28, 28))
        )
        seconds = statistics.median(timed(lambda b=batch: recognizer.probabilities(b), 20))
        print(f"| {size} | {size / seconds:,.0f} |")


if __name__ == "__main__":
    main()
