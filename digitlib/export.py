"""The shipped model as ONNX, for ONNX Runtime (Python, and Web in the book's Try it page).

Chapter 6 and the Try it page show the model reading drawings in the browser.

    python -m digitlib.export                      # -> models/digit_cnn.onnx
    python -m digitlib.export --out site/digit_cnn.onnx

Keras writes the file itself (``model.export(path, format="onnx")``, through tf2onnx), from
Keras 3.8 on; the ``export`` extra installs the rest of what that needs. ``agreement`` measures
how closely ONNX Runtime follows Keras on a set of images.
"""

from __future__ import annotations

import argparse
import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import config
from .contract import INPUT_SHAPE

#: Where ``python -m digitlib.export`` writes by default: next to the shipped model.
DEFAULT_OUT = config.PROJECT_DIR / "models" / "digit_cnn.onnx"
#: The first Keras whose ``model.export`` writes ONNX.
MIN_KERAS = (3, 8)


def supported() -> bool:
    """Can this Keras export to ONNX? (Keras 3.8 or newer.)"""
    import keras

    return tuple(int(p) for p in keras.__version__.split(".")[:2]) >= MIN_KERAS


def export_onnx(out: Path | str = DEFAULT_OUT, model=None) -> Path:
    """Write ``model`` as ONNX; by default the shipped one with its calibration, so the file gives
    the probabilities ``Recognizer.load()`` does."""
    if not supported():
        import keras

        raise RuntimeError(
            f"ONNX export needs Keras 3.8 or newer (this is Keras {keras.__version__}): "
            "pip install -U keras"
        )
    try:
        import tf2onnx  # noqa: F401  (Keras's ONNX export runs through it)
    except ImportError as exc:
        raise ImportError("ONNX export needs tf2onnx and onnx: pip install -e '.[export]'") from exc
    if model is None:
        from .calibration import with_temperature
        from .inference import Recognizer

        recognizer = Recognizer.load()
        model = with_temperature(recognizer.model, recognizer.temperature)
    model(np.zeros((1, *INPUT_SHAPE), np.float32), training=False)  # Keras exports called models
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # tf2onnx prints its progress line by line; the caller gets the path instead.
    with contextlib.redirect_stdout(io.StringIO()):
        model.export(str(out), format="onnx", verbose=False)
    return out


@dataclass(frozen=True)
class Agreement:
    """How ONNX Runtime's answers compare with Keras's on the same images."""

    images: int
    same_digit: float  # the share of images given the same most likely digit
    max_difference: float  # the largest absolute difference of any probability

    def __str__(self) -> str:
        return (
            f"{self.images} images: same digit on {self.same_digit:.4%}, "
            f"largest probability difference {self.max_difference:.1e}"
        )


def onnx_session(path: Path | str):
    """An ONNX Runtime session on the CPU for the exported file."""
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def onnx_probabilities(session, images: np.ndarray, batch: int = 1000) -> np.ndarray:
    """Probabilities (N, 10) from an ONNX session for MNIST-form images (N, 28, 28[, 1])."""
    x = np.asarray(images, np.float32).reshape(-1, *INPUT_SHAPE)
    name = session.get_inputs()[0].name
    return np.concatenate(
        [session.run(None, {name: x[i : i + batch]})[0] for i in range(0, len(x), batch)]
    )


def agreement(onnx_path: Path | str, recognizer, images: np.ndarray) -> Agreement:
    """Compare the exported file with ``recognizer`` (Keras) on images in [0, 1]."""
    keras_p = recognizer.probabilities(images)
    onnx_p = onnx_probabilities(onnx_session(onnx_path), images)
    same = float(np.mean(keras_p.argmax(axis=1) == onnx_p.argmax(axis=1)))
    return Agreement(len(keras_p), same, float(np.abs(keras_p - onnx_p).max()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m digitlib.export", description="Write the shipped model as ONNX."
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT}")
    args = parser.parse_args(argv)
    path = export_onnx(args.out)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
