"""The Gradio demo: its handlers, the app over HTTP with gradio_client, and a small load test."""

from __future__ import annotations

import io
import socket
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from digitlib import data

from .conftest import free_port
from .drawing import photo, place_digit, sketch_payload

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import demo  # noqa: E402

gradio_client = pytest.importorskip("gradio_client")


@pytest.fixture(scope="module")
def digits():
    return data.load_quick_sample()[1]


def save_png(array: np.ndarray, path: Path) -> Path:
    Image.fromarray(array).save(path)
    return path


def sketch_files(ink: np.ndarray, folder: Path) -> dict:
    """A sketchpad payload as the browser sends it: PNG files for background, layer, composite."""
    payload = sketch_payload(ink)
    handle = gradio_client.handle_file
    return {
        "background": handle(save_png(payload["background"], folder / "bg.png")),
        "layers": [handle(save_png(payload["layers"][0], folder / "layer.png"))],
        "composite": handle(save_png(payload["composite"], folder / "composite.png")),
        "id": None,
    }


# ---------------------------------------------------------------------------------------------
# Handlers, called directly


def test_sketch_handler_reads_a_digit(recognizer, digits):
    x, y = digits
    label, seen, message = demo.read_sketch(
        recognizer, sketch_payload(place_digit(x[3], 180, 50, 50))
    )
    assert list(label)[0] == str(y[3]) and len(label) == 3
    assert seen.shape == (28, 28) and seen.dtype == np.uint8
    assert f"**{y[3]}**" in message


def test_empty_sketch_says_nothing_drawn(recognizer):
    assert demo.read_sketch(recognizer, None) == (None, None, demo.NOTHING_DRAWN)
    empty = sketch_payload(np.zeros((280, 280), np.float32))
    assert demo.read_sketch(recognizer, empty)[2] == demo.NOTHING_DRAWN


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"%PDF-1.4 not an image", "not an image"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 10, "Could not read that file"),
    ],
    ids=["pdf", "corrupt-png"],
)
def test_bad_uploads_get_a_message(recognizer, tmp_path, content, expected):
    path = tmp_path / "upload.png"
    path.write_bytes(content)
    label, seen, number, message = demo.read_upload(recognizer, str(path))
    assert label is None and seen is None and number == ""
    assert expected in message


def test_blank_uploads_say_no_digit(recognizer, tmp_path):
    for name, array in (
        ("white", np.full((300, 300), 255, np.uint8)),
        ("black", np.zeros((300, 300), np.uint8)),
    ):
        path = save_png(array, tmp_path / f"{name}.png")
        assert demo.read_upload(recognizer, str(path))[3] == demo.NOTHING_FOUND


def test_missing_model_exits_with_advice(tmp_path, capsys):
    assert demo.main(["--model", str(tmp_path / "missing.keras"), "--port", str(free_port())]) == 1
    assert "make train" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# The app over HTTP


def test_app_reads_a_sketch_and_an_upload(demo_url, digits, tmp_path):
    x, y = digits
    client = gradio_client.Client(demo_url, verbose=False, download_files=False)
    label, _, message = client.predict(
        sketch_files(place_digit(x[5], 200, 40, 40), tmp_path), api_name="/read_sketch"
    )
    assert label["label"] == str(y[5]), message

    row = np.zeros((160, 500), np.float32)
    for i, k in enumerate((11, 12, 13)):
        row[20:140, 20 + i * 160 : 140 + i * 160] = place_digit(x[k], 120, 0, 0, canvas=120)
    upload = save_png(photo(row), tmp_path / "number.png")
    _, _, number, message = client.predict(
        gradio_client.handle_file(upload), api_name="/read_upload"
    )
    assert number == "".join(str(y[k]) for k in (11, 12, 13)), message


def test_app_survives_a_bad_upload_and_keeps_serving(demo_url, digits, tmp_path):
    client = gradio_client.Client(demo_url, verbose=False, download_files=False)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"garbage" * 100)
    *_, message = client.predict(gradio_client.handle_file(bad), api_name="/read_upload")
    assert "not an image" in message
    x, y = digits
    label, *_ = client.predict(
        sketch_files(place_digit(x[9], 150, 60, 60), tmp_path), api_name="/read_sketch"
    )
    assert label["label"] == str(y[9])


def test_load_20_clients_10_requests_each(demo_url, digits, tmp_path):
    x, y = digits
    payloads = []
    for i in range(20):
        folder = tmp_path / f"c{i}"
        folder.mkdir()
        payloads.append((sketch_files(place_digit(x[i], 180, 50, 50), folder), str(y[i])))
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client_run(i: int) -> None:
        client = gradio_client.Client(demo_url, verbose=False, download_files=False)
        payload, _ = payloads[i]
        for _ in range(10):
            start = time.perf_counter()
            try:
                label, *_ = client.predict(payload, api_name="/read_sketch")
                assert label and label["label"] in "0123456789"
            except Exception as exc:  # noqa: BLE001 - every failure is counted
                with lock:
                    errors.append(repr(exc))
                continue
            with lock:
                latencies.append(time.perf_counter() - start)

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(client_run, range(20)))
    assert not errors, f"{len(errors)} of 200 failed: {sorted(set(errors))[:3]}"
    assert len(latencies) == 200
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(
        f"load: 20 clients x 10 requests, p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms"
    )


# ---------------------------------------------------------------------------------------------
# Failures are one line, never a traceback or a server path


def test_thin_sketch_layer_gets_a_message_not_a_crash(recognizer):
    layer = np.zeros((1, 600, 4), np.uint8)
    layer[..., 3] = 255
    label, seen, message = demo.read_sketch(
        recognizer, {"background": None, "layers": [layer], "composite": None}
    )
    assert "index" not in message.lower() and "\n" not in message


def test_unexpected_sketch_errors_are_one_line(recognizer, monkeypatch):
    def broken(_):
        raise IndexError("index 0 is out of bounds for axis 0 with size 0")

    monkeypatch.setattr(recognizer, "predict", broken)
    *_, message = demo.read_sketch(recognizer, {"layers": []})
    assert "out of bounds" not in message and "Something went wrong" in message


def test_messages_to_visitors_carry_no_server_paths(recognizer, tmp_path):
    missing = tmp_path / "deep" / "upload.png"
    *_, message = demo.read_upload(recognizer, str(missing))
    assert str(tmp_path) not in message and "/" not in message and "upload.png" in message
    assert demo.public("damaged (/tmp/gradio/ab12/photo.png: broken)") == (
        "damaged (photo.png: broken)"
    )


def test_upload_over_the_pixel_limit_is_refused_from_its_header(recognizer, tmp_path):
    path = tmp_path / "big.png"
    Image.new("1", (8000, 6000), 0).save(path)  # 48 megapixels, a few kilobytes
    *_, message = demo.read_upload(recognizer, str(path))
    assert "8000x6000 pixels" in message and f"{demo.MAX_UPLOAD_PIXELS:,} pixels" in message


def test_sketchpad_refuses_large_or_extra_layers_from_the_header(tmp_path):
    from gradio.data_classes import FileData
    from gradio.exceptions import Error

    pad = demo.bounded_sketchpad(canvas_size=(demo.CANVAS, demo.CANVAS))
    small = save_png(np.zeros((demo.CANVAS, demo.CANVAS, 4), np.uint8), tmp_path / "s.png")
    big = tmp_path / "big.png"
    Image.new("1", (13300, 13300), 0).save(big)
    files = {name: FileData(path=str(path)) for name, path in (("s", small), ("b", big))}
    with pytest.raises(Error, match="at most 280x280 pixels; this one is 13300x13300 pixels"):
        pad.preprocess(
            demo.SketchData(background=files["s"], layers=[files["b"]], composite=files["s"])
        )
    with pytest.raises(Error, match="at most 1 layer; this one has 3"):
        pad.preprocess(demo.SketchData(background=None, layers=[files["s"]] * 3, composite=None))
    value = pad.preprocess(demo.SketchData(background=None, layers=[files["s"]], composite=None))
    assert value["layers"][0].shape == (demo.CANVAS, demo.CANVAS, 4)


def test_blob_store_is_bounded_in_index_size_and_drawings():
    from gradio.components.image_editor import AcceptBlobs
    from gradio.exceptions import Error

    pad = demo.bounded_sketchpad(canvas_size=(demo.CANVAS, demo.CANVAS))
    buffer = io.BytesIO()
    Image.new("RGBA", (demo.CANVAS, demo.CANVAS)).save(buffer, format="PNG")
    blob = buffer.getvalue()

    def send(index, drawing="a", data=blob, kind="layer"):
        pad.accept_blobs(
            AcceptBlobs(
                data={"type": kind, "index": index, "file": b"", "id": drawing},
                files=[("layer.png", data)],
            )
        )

    with pytest.raises(Error, match="at most 1 layer"):
        send(100_000_000)
    with pytest.raises(Error, match="not a PNG"):
        send(0, data=b"junk")
    with pytest.raises(Error):
        send(0, kind="something")
    for i in range(demo.MAX_BLOB_DRAWINGS + 20):
        send(0, drawing=f"d{i}")
    assert len(pad.blob_storage) == demo.MAX_BLOB_DRAWINGS
    assert all(len(b.layers) <= demo.MAX_SKETCH_LAYERS for b in pad.blob_storage.values())


# ---------------------------------------------------------------------------------------------
# Start-up: bad model files, a busy port, the address from the environment


def bad_model(folder: Path, weights: bytes | None = None, card: str | None = None) -> Path:
    """A copy of the shipped model (weights and card) with one of its files spoiled."""
    from digitlib import config, saving

    shipped = config.shipped_model_path()
    path = folder / "model.weights.h5"
    path.write_bytes(shipped.read_bytes() if weights is None else weights)
    shipped_card = saving.ModelCard.path_for(shipped).read_text()
    saving.ModelCard.path_for(path).write_text(shipped_card if card is None else card)
    return path


def shipped_weights() -> bytes:
    from digitlib import config

    return config.shipped_model_path().read_bytes()


@pytest.mark.parametrize(
    "spoil",
    [
        {"weights": b"not a model at all" * 100},
        {"weights": b""},
        {"weights": "truncated"},
        {"card": "{not json"},
        {"card": '{"model": "no_such_network"}'},
    ],
    ids=["garbage", "empty", "truncated", "card-not-json", "card-unknown-model"],
)
def test_bad_model_files_give_one_line_and_exit_1(tmp_path, capsys, spoil):
    if spoil.get("weights") == "truncated":
        spoil = {"weights": shipped_weights()[:2000]}
    path = bad_model(tmp_path, **spoil)
    assert demo.main(["--model", str(path), "--port", str(free_port())]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith("error: ") and str(tmp_path) not in err, err


def busy_port():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    return listener


def test_a_busy_port_is_reported_before_the_model_loads(monkeypatch, capsys):
    def no_load(*_):
        raise AssertionError("the model was loaded before the port was checked")

    monkeypatch.setattr(demo.Recognizer, "load", no_load)
    with busy_port() as listener:
        port = listener.getsockname()[1]
        assert demo.main(["--port", str(port)]) == 1
        err = capsys.readouterr().err.strip()
        assert f"127.0.0.1:{port}" in err and "--port" in err and "\n" not in err
        assert "GRADIO_SERVER_PORT" not in err
        monkeypatch.setenv("GRADIO_SERVER_PORT", str(port))
        assert demo.main([]) == 1
        assert "GRADIO_SERVER_PORT" in capsys.readouterr().err


def test_gradio_server_name_and_port_are_honoured_and_flags_win(monkeypatch):
    launched = {}
    monkeypatch.setattr(demo.Recognizer, "load", lambda *_: object())
    monkeypatch.setattr(demo, "build_demo", lambda *_: SimpleNamespace(launch=launched.update))
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    monkeypatch.setattr(demo, "port_in_use", lambda *_: None)

    def address(argv):
        launched.clear()
        assert demo.main(argv) == 0
        return launched["server_name"], launched["server_port"]

    assert address([]) == ("127.0.0.1", 7860)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "8123")
    assert address([]) == ("0.0.0.0", 8123)
    assert address(["--host", "127.0.0.1", "--port", "9001"]) == ("127.0.0.1", 9001)
    monkeypatch.setenv("GRADIO_SERVER_PORT", "eighty")
    assert demo.main([]) == 2


# ---------------------------------------------------------------------------------------------
# Not sure instead of a guess


def prediction(probs: dict[int, float]):
    from digitlib.inference import Prediction

    p = np.zeros(10, np.float32)
    for digit, value in probs.items():
        p[digit] = value
    return Prediction(int(np.argmax(p)), p, np.zeros((28, 28), np.float32))


def test_verdict_names_the_digit_only_when_the_model_is_sure_enough():
    from digitlib.calibration import UNSURE_BELOW

    assert demo.verdict(prediction({3: 0.97, 5: 0.03})) == "I read a **3** (97% sure)."
    assert "I read a **3**" in demo.verdict(prediction({3: UNSURE_BELOW, 5: 1 - UNSURE_BELOW}))
    unsure = demo.verdict(prediction({3: 0.45, 5: 0.35, 8: 0.2}))
    assert unsure.startswith("Not sure") and "**3** (45%)" in unsure and "5 (35%)" in unsure
    assert "I read" not in unsure


def test_a_model_with_no_idea_says_not_sure(digits):
    import keras

    from digitlib.inference import Recognizer

    # Zero weights: every digit gets 0.1, whatever is drawn.
    flat = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax", kernel_initializer="zeros"),
        ]
    )
    x, _ = digits
    *_, message = demo.read_sketch(Recognizer(flat), sketch_payload(place_digit(x[3], 180, 50, 50)))
    assert message.startswith("Not sure")
