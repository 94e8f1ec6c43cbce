"""ONNX export: the file ONNX Runtime reads gives Keras's answers."""

from __future__ import annotations

import numpy as np
import pytest

from digitlib import export
from digitlib.data import load_mnist, load_quick_sample
from digitlib.export import agreement, export_onnx, onnx_probabilities, onnx_session
from digitlib.models import build_cnn
from digitlib.preprocess import to_model_input

# The lowest versions pyproject allows include Keras 3.0, which cannot export: see the last test.
needs_export = pytest.mark.skipif(not export.supported(), reason="Keras < 3.8 cannot export ONNX")


def test_command_line_writes_an_onnx_file(shipped_onnx):
    assert shipped_onnx.stat().st_size > 100_000
    session = onnx_session(shipped_onnx)
    (inp,) = session.get_inputs()
    assert inp.shape[1:] == [28, 28, 1]
    (out,) = session.get_outputs()
    assert out.shape[1:] == [10]


def check(result, images: int) -> None:
    assert result.images == images
    assert result.same_digit >= 0.9999, result
    assert result.max_difference <= 1e-4, result


def test_onnx_agrees_with_keras_on_the_quick_test_sample(shipped_onnx, recognizer):
    (_, _), (x_test, _) = load_quick_sample()
    check(agreement(shipped_onnx, recognizer, to_model_input(x_test)), len(x_test))


def test_onnx_agrees_with_keras_on_the_mnist_test_set(shipped_onnx, recognizer, mnist_dir):
    (_, _), (x_test, _) = load_mnist(mnist_dir)
    check(agreement(shipped_onnx, recognizer, to_model_input(x_test)), 10_000)


@needs_export
def test_any_network_the_library_builds_exports(tmp_path):
    model = build_cnn(widths=(8, 16, 32))  # never called: export_onnx builds it first
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    path = export_onnx(tmp_path / "small.onnx", model)
    probs = onnx_probabilities(onnx_session(path), x)
    np.testing.assert_allclose(probs, model(x, training=False).numpy(), atol=1e-5)


def test_export_says_which_keras_it_needs(tmp_path, monkeypatch):
    import keras

    monkeypatch.setattr(keras, "__version__", "3.7.0")
    with pytest.raises(RuntimeError, match=r"needs Keras 3\.8 or newer \(this is Keras 3\.7\.0\)"):
        export_onnx(tmp_path / "x.onnx", build_cnn(widths=(8, 16, 32)))
    monkeypatch.setattr(keras, "__version__", "3.8.0")
    assert export.supported()
