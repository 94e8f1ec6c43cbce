"""Draw a digit, and watch the network read it: the digits sketchpad demo (Gradio).

    python demo.py                      # http://127.0.0.1:7860
    python demo.py --host 0.0.0.0 --port 8080 --model path/to/model.weights.h5

``GRADIO_SERVER_NAME`` and ``GRADIO_SERVER_PORT`` set the address as on any Gradio host; the
flags win over them. Runs with no internet: analytics are off and the page uses the system's fonts.

Ready to host: every request is checked against the limits below before anything large is
decoded or kept, uploads and results expire from the temporary folder, and a failure is a
one-line message, never a traceback or a server path.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import io
import logging
import os
import re
import socket
import sys
import time
import types
import warnings
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Gradio's queue rebuilds a pandas summary of its last 10,000 events after every event (for its
# monitoring page): a tenth of the server's time under load. Every 1,000 events of the last
# 1,000 is enough.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
from gradio.components.base import server  # noqa: E402
from gradio.components.image_editor import AcceptBlobs, EditorData  # noqa: E402
from PIL import Image  # noqa: E402
from pydantic import ValidationError  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from digitlib.calibration import UNSURE_BELOW  # noqa: E402
from digitlib.inference import (  # noqa: E402
    ModelLoadError,
    ModelNotFoundError,
    Prediction,
    Recognizer,
)
from digitlib.preprocess import ImageError  # noqa: E402

log = logging.getLogger("digits.demo")

NOTHING_DRAWN = "Nothing drawn yet: draw a digit, large, in the middle of the square."
NOTHING_FOUND = "No digit found in that image: try a darker pen or a closer photo."
CANVAS = 280

# Limits, each checked before the thing it bounds is decoded or stored.
#: The sketchpad sends one layer (plus background and composite), each CANVAS x CANVAS.
MAX_SKETCH_LAYERS = 1
#: An upload's pixels are counted from its header; more than this is refused undecoded.
MAX_UPLOAD_PIXELS = 40_000_000
#: Largest file accepted, and largest request body of any kind. The whole request is refused
#: from its declared length before a byte is read: Gradio's own per-file limit stops a file
#: midway and leaves the part it wrote on disk.
MAX_FILE_MB = 10
MAX_REQUEST_BYTES = MAX_FILE_MB * 1024 * 1024
#: The image editor's blob endpoint receives one canvas PNG at a time.
MAX_BLOB_BYTES = 1024 * 1024
#: Drawings sent through the blob endpoint and not yet read, across all visitors.
MAX_BLOB_DRAWINGS = 64
#: Uploads and results older than this are deleted from Gradio's temporary folder.
KEEP_FILES_S = 300

TOO_MANY_LAYERS = f"A drawing has at most {MAX_SKETCH_LAYERS} layer; this one has {{n}}."
TOO_LARGE_SKETCH = f"A drawing is at most {CANVAS}x{CANVAS} pixels; this one is {{size}}."
TOO_LARGE_UPLOAD = (
    f"the image is {{size}}; this demo reads images of up to {MAX_UPLOAD_PIXELS:,} "
    f"pixels ({MAX_UPLOAD_PIXELS // 1_000_000} megapixels) and {MAX_FILE_MB} MB"
)
NOT_A_DRAWING = (
    "That is not a drawing from this sketchpad (expected background, layers, composite)."
)
# The 28x28 picture the model saw is sent at its own size, as a PNG of a few hundred bytes,
# and the page blows it up with square pixels (CSS below): far cheaper than a large image.
SEEN_CSS = ".seen img { image-rendering: pixelated; }"


def _picture(image28: np.ndarray) -> np.ndarray:
    """White-on-black floats in [0, 1] to a black-on-white uint8 picture of the same size."""
    return (255 * (1.0 - np.clip(image28, 0, 1))).astype(np.uint8)


def public(message: str) -> str:
    """A message fit for a visitor: one line, and no server paths (only a file's own name)."""
    message = re.sub(r"(?:[A-Za-z]:)?(?:[\\/][^\s'\"\\/]+)+[\\/]([^\s'\"\\/]+)", r"\1", message)
    return " ".join(message.split())


def verdict(p: Prediction) -> str:
    """What to say about one digit: its reading, or that the model is not sure.

    The model's probabilities are calibrated (chapter 5), so below ``UNSURE_BELOW`` it expects
    to be wrong at least as often as right, and says so instead of guessing.
    """
    if p.confidence >= UNSURE_BELOW:
        return f"I read a **{p.digit}** ({p.confidence:.0%} sure)."
    (first, p1), (second, p2) = list(p.top(2).items())
    return (
        f"Not sure: perhaps a **{first}** ({p1:.0%}), perhaps a {second} ({p2:.0%}). "
        "Try writing the digit larger and more clearly."
    )


def read_sketch(recognizer: Recognizer, payload):
    """Sketchpad handler: (top-3 label, what the model saw, message)."""
    try:
        p = recognizer.predict(payload)
    except ImageError as exc:
        return None, None, public(f"Could not read the drawing: {exc}")
    except Exception:  # a bad drawing must never take the app down for everyone else
        log.exception("sketch failed")
        return None, None, "Something went wrong reading the drawing; clear it and draw again."
    if p.digit is None:
        return None, None, NOTHING_DRAWN
    return p.top(3), _picture(p.input_28x28), verdict(p)


def header_size(source: Path | str | bytes) -> str | None:
    """``"WxH pixels"`` from an image's header, nothing decoded; None for a non-image.

    Sizes so large that PIL refuses to open them at all come back as ``"over N pixels"``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as img:
                return f"{img.width}x{img.height} pixels"
        except Image.DecompressionBombError:
            return f"over {2 * Image.MAX_IMAGE_PIXELS:,} pixels"
        except Exception:
            return None


def _sides(size: str) -> tuple[float, float]:
    if size.startswith("over"):
        return float("inf"), float("inf")
    w, h = size.removesuffix(" pixels").split("x")
    return int(w), int(h)


def check_upload(path: Path) -> None:
    """Refuse an image whose header says it is too large, before any of it is decoded."""
    size = header_size(path)  # not an image: the reader says so in its own words
    if size is not None and _sides(size)[0] * _sides(size)[1] > MAX_UPLOAD_PIXELS:
        raise ImageError(TOO_LARGE_UPLOAD.format(size=size))


def read_upload(recognizer: Recognizer, path):
    """Upload handler: (top-3 label, what the model saw, the number read, message)."""
    if path is None:
        return None, None, "", "Upload a photo or scan of a handwritten digit or number."
    try:
        check_upload(Path(path))
        reading = recognizer.read_number(Path(path))
    except ImageError as exc:
        return None, None, "", public(f"Could not read that file: {exc}")
    except Exception:  # a bad upload must never take the app down for everyone else
        log.exception("upload failed")
        return None, None, "", "Something went wrong reading that file; try another image."
    if not reading.digits:
        return None, None, "", NOTHING_FOUND
    strip = np.concatenate([d.input_28x28 for d in reading.digits], axis=1)
    first = reading.digits[0] if len(reading.digits) == 1 else None
    label = first.top(3) if first else {reading.text: 1.0}
    if first:
        return label, _picture(strip), reading.text, verdict(first)
    unsure = [str(i + 1) for i, d in enumerate(reading.digits) if d.confidence < UNSURE_BELOW]
    message = f"I read **{reading.text}** ({len(reading.digits)} digits)."
    if unsure:
        message += f" Not sure of digit {', '.join(unsure)} (counting from the left)."
    return label, _picture(strip), reading.text, message


# ---------------------------------------------------------------------------------------------
# The sketchpad, bounded


def check_sketch_image(source: Path | str | bytes) -> None:
    """Raise ``gr.Error`` unless ``source`` (a path or PNG bytes) is at most CANVAS x CANVAS.

    Only the header is read, so a 177-megapixel layer costs nothing to refuse.
    """
    size = header_size(source)
    if size is None:
        raise gr.Error("Could not read the drawing: it is not a PNG image.")
    if max(_sides(size)) > CANVAS:
        raise gr.Error(TOO_LARGE_SKETCH.format(size=size))


class SketchData(EditorData):
    """The sketchpad's payload; a payload of the wrong shape is a one-line error."""

    @classmethod
    def model_validate(cls, obj, *args, **kwargs):
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError:
            raise gr.Error(NOT_A_DRAWING) from None


def bounded_sketchpad(**options) -> gr.Sketchpad:
    """A ``gr.Sketchpad`` that checks layers and pixel sizes before any image is decoded.

    Gradio's own ``preprocess`` decodes the background, the composite and every layer, at
    whatever size the client claims, and its blob endpoint keeps whatever it is sent. Here both
    are refused above one CANVAS x CANVAS layer, and the blob store holds a bounded number of
    drawings. The checks are bound to the instance: a subclass of a Gradio component makes
    Gradio write a ``.pyi`` stub beside this file at import.
    """
    pad = gr.Sketchpad(**options)
    pad.data_model = SketchData
    pad.preprocess = types.MethodType(_bounded_preprocess, pad)
    pad.accept_blobs = types.MethodType(_bounded_accept_blobs, pad)
    return pad


# Gradio 6.25 and later can lay a transparent composite on white; Colab's 6.24 cannot, and hands
# it over as RGBA, which digitlib lays on white itself.
_FLATTEN_ON_WHITE = (
    {"flatten_on_white": True}
    if "flatten_on_white" in inspect.signature(gr.Sketchpad.convert_and_format_image).parameters
    else {}
)


def _bounded_preprocess(self: gr.Sketchpad, payload):
    """``preprocess`` of ``bounded_sketchpad``: sizes checked, then only the layers decoded."""
    if payload is None:
        return None
    if payload.id is not None:
        cached = self.blob_storage.get(payload.id)
        layers = cached.layers if cached else []
        images = [cached.background, cached.composite, *layers] if cached else []
    else:
        layers = payload.layers
        images = [payload.background, payload.composite, *layers]
    if len(layers) > MAX_SKETCH_LAYERS:
        self.blob_storage.pop(payload.id, None)
        raise gr.Error(TOO_MANY_LAYERS.format(n=len(layers)))
    for image in images:
        if image is not None:
            check_sketch_image(image if isinstance(image, bytes) else image.path)
    if payload.id is not None:
        self.blob_storage.pop(payload.id, None)
    # The ink is in the layers: the background and composite are decoded only when the
    # layers hold none (then the composite is what there is to read).
    try:
        drawn = [self.convert_and_format_image(layer) for layer in layers if layer]
        if any(layer[..., 3].max() > 0 for layer in drawn):
            return {"background": None, "layers": drawn, "composite": None}
        composite = images[1]
        return {
            "background": None,
            "layers": drawn,
            "composite": self.convert_and_format_image(composite, **_FLATTEN_ON_WHITE),
        }
    except Exception as exc:
        raise gr.Error(public(f"Could not read the drawing: {exc}")) from None


@server
def _bounded_accept_blobs(self: gr.Sketchpad, data: AcceptBlobs):
    """Store one canvas PNG of a drawing sent in pieces, within the limits above."""
    blob = data.files[0][1] if data.files else b""
    kind, index = data.data.get("type"), data.data.get("index")
    if kind not in ("background", "composite", "layer"):
        raise gr.Error(NOT_A_DRAWING)
    if kind == "layer":
        try:
            index = int(index)
        except (TypeError, ValueError):
            raise gr.Error(NOT_A_DRAWING) from None
        if not 0 <= index < MAX_SKETCH_LAYERS:
            raise gr.Error(TOO_MANY_LAYERS.format(n=index + 1))
        data.data["index"] = index
    if len(blob) > MAX_BLOB_BYTES:
        raise gr.Error(f"A drawing is at most {MAX_BLOB_BYTES // 1024} KB a layer.")
    check_sketch_image(blob)
    if data.data.get("id") not in self.blob_storage:
        while len(self.blob_storage) >= MAX_BLOB_DRAWINGS:  # forget the oldest drawing
            self.blob_storage.pop(next(iter(self.blob_storage)))
    return gr.ImageEditor.accept_blobs(self, data)


# ---------------------------------------------------------------------------------------------
# Request bodies, bounded


class BodyLimit:
    """ASGI middleware: refuse a request body over ``max_bytes`` while it arrives (HTTP 413).

    Gradio's upload and blob endpoints read up to 1,000 files of up to ``max_file_size`` each
    from one request; this caps the whole request, whether or not it declares its length.
    """

    def __init__(self, app, max_bytes: int = MAX_REQUEST_BYTES):
        self.app = app
        self.max_bytes = max_bytes
        self.message = f"Request too large: this demo accepts files of up to {MAX_FILE_MB} MB."

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send)
        if declared is None and b"chunked" in headers.get(b"transfer-encoding", b""):
            # Browsers and Gradio's clients declare the length of what they upload.
            return await self._refuse(send, 411, "Send the request with a Content-Length.")
        received = 0
        started = False

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def watched_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send, status: int = 413, message: str | None = None) -> None:
        body = (message or self.message).encode()
        headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def sweep_stray_uploads(folder: str | Path, age_s: float | None) -> None:
    """Delete upload parts older than ``age_s`` (all, for None) that Gradio left behind.

    Its upload parser writes each file to a ``tmp*`` file in the upload folder and keeps it
    there when the upload breaks off (a client that disconnects midway), and ``gr.File`` leaves
    an empty ``tmp*`` file there each time it hands a handler a path.
    """
    now = time.time()
    for path in Path(folder).glob("tmp*"):
        with contextlib.suppress(OSError):
            if path.is_file() and (age_s is None or now - path.stat().st_mtime > age_s):
                path.unlink()


def stray_upload_sweeper(keep_files_s: int):
    """A server lifespan that sweeps stray upload parts as often as Gradio sweeps its cache."""

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async def sweep_forever():
            while True:
                await asyncio.sleep(_sweep_every(keep_files_s))
                sweep_stray_uploads(app.uploaded_file_dir, keep_files_s)

        task = asyncio.create_task(sweep_forever())
        try:
            yield
        finally:
            task.cancel()
            sweep_stray_uploads(app.uploaded_file_dir, None)

    return lifespan


def _sweep_every(keep_files_s: int) -> int:
    return max(1, min(60, keep_files_s // 2))


def launch_settings(keep_files_s: int = KEEP_FILES_S) -> dict:
    """The ``launch()`` arguments: look, and the limits on uploads (``build_demo`` sets the
    expiry of Gradio's cache; pass it the same ``keep_files_s``)."""
    return {
        "theme": theme(),
        "css": SEEN_CSS,
        "max_file_size": f"{MAX_FILE_MB}mb",
        "app_kwargs": {
            "middleware": [Middleware(BodyLimit)],
            "lifespan": stray_upload_sweeper(keep_files_s),
        },
        "show_error": False,  # only our own one-line gr.Error messages reach the visitor
    }


def build_demo(recognizer: Recognizer, keep_files_s: int = KEEP_FILES_S) -> gr.Blocks:
    """The app: a sketchpad tab and an upload tab, both answered by ``recognizer``.

    Files Gradio stores (uploads, the drawings' PNGs, the pictures it sends back) are deleted
    once older than ``keep_files_s`` seconds, and all of them when the server stops.
    """
    every = _sweep_every(keep_files_s)
    with gr.Blocks(
        title="digits: draw a digit",
        analytics_enabled=False,
        delete_cache=(every, keep_files_s),
    ) as demo:
        gr.Markdown(
            "# Draw a digit\nA convolutional network trained on MNIST reads what you draw. "
            "It sees only a 28x28 picture, made from your drawing the way MNIST was made."
        )
        with gr.Tab("Draw", id="draw"):
            with gr.Row():
                sketch = bounded_sketchpad(
                    label="Draw one digit (0-9)",
                    canvas_size=(CANVAS, CANVAS),
                    fixed_canvas=True,
                    brush=gr.Brush(default_size=10, colors=["#000000"], color_mode="fixed"),
                    type="numpy",
                    image_mode="RGBA",
                    format="png",
                    layers=False,
                    transforms=(),
                    elem_id="sketchpad",
                )
                with gr.Column():
                    sketch_label = gr.Label(
                        num_top_classes=3, label="The network reads", elem_id="sketch-label"
                    )
                    sketch_seen = gr.Image(
                        label="What the network saw (28x28)",
                        interactive=False,
                        height=224,
                        width=224,
                        format="png",
                        elem_classes="seen",
                    )
                    sketch_message = gr.Markdown(NOTHING_DRAWN, elem_id="sketch-message")
            sketch.change(
                lambda payload: read_sketch(recognizer, payload),
                inputs=sketch,
                outputs=[sketch_label, sketch_seen, sketch_message],
                api_name="read_sketch",
                show_progress="hidden",
                concurrency_limit=2,
            )
        with gr.Tab("Upload", id="upload"):
            with gr.Row():
                upload = gr.File(
                    label=f"A photo or scan of a digit or a number (up to {MAX_FILE_MB} MB, "
                    f"{MAX_UPLOAD_PIXELS // 1_000_000} megapixels)",
                    file_types=["image"],
                    type="filepath",
                )
                with gr.Column():
                    upload_label = gr.Label(num_top_classes=3, label="The network reads")
                    upload_seen = gr.Image(
                        label="What the network saw",
                        interactive=False,
                        height=224,
                        format="png",
                        elem_classes="seen",
                    )
                    number = gr.Textbox(label="Number read", interactive=False)
                    upload_message = gr.Markdown("Upload a photo or scan of a digit or number.")
            upload.change(
                lambda path: read_upload(recognizer, path),
                inputs=upload,
                outputs=[upload_label, upload_seen, number, upload_message],
                api_name="read_upload",
                concurrency_limit=2,
            )
        demo.load(None, js=SELECT_BRUSH)
    return demo


# Gradio 6 opens the sketchpad with no tool chosen ("select the draw tool to start"), and has
# no setting for the starting tool: the page picks the brush itself as soon as it is there, so
# a visitor's first stroke draws. With no sources and no transforms the brush is the first tool
# button; its label is translated, so it is found by place, not by name.
SELECT_BRUSH = """() => {
  const pick = (tries) => {
    const brush = document.querySelector('#sketchpad button.quite-round');
    if (brush) brush.click();
    else if (tries > 0) setTimeout(() => pick(tries - 1), 50);
  };
  pick(400);
}"""


def theme() -> gr.themes.Base:
    """The default look, with system fonts so nothing is fetched from the internet."""
    return gr.themes.Default(
        font=["ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=["ui-monospace", "monospace"],
    )


def resolve_address(args: argparse.Namespace) -> tuple[str, int, str]:
    """Host, port and where the port came from: flags win over GRADIO_SERVER_NAME/PORT."""
    host = args.host or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    if args.port is not None:
        return host, args.port, "--port"
    env = os.environ.get("GRADIO_SERVER_PORT")
    if env is None:
        return host, 7860, "--port"
    if not env.strip().isdigit() or not 0 < int(env) < 65536:
        raise SystemExit(f"error: GRADIO_SERVER_PORT={env!r} is not a port number (1-65535)")
    return host, int(env), "GRADIO_SERVER_PORT"


def port_in_use(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on, or None when it can (checked by binding)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind(address)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The digits sketchpad demo.")
    parser.add_argument(
        "--host",
        default=None,
        help="address to listen on (default: $GRADIO_SERVER_NAME or 127.0.0.1)",
    )
    parser.add_argument(
        "--port", type=int, default=None, help="port (default: $GRADIO_SERVER_PORT or 7860)"
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="a .weights.h5 file with its .json card beside it (default: the shipped "
        "models/digit_cnn.weights.h5)",
    )
    parser.add_argument(
        "--keep-files",
        type=int,
        default=KEEP_FILES_S,
        metavar="SECONDS",
        help=f"delete uploads and results older than this (default: {KEEP_FILES_S})",
    )
    args = parser.parse_args(argv)
    try:
        host, port, source = resolve_address(args)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        return 2
    busy = f"error: cannot listen on {host}:{port}: {{}}; choose another port with {source}"
    # Checked before the model loads, which takes seconds: a busy port fails at once.
    reason = port_in_use(host, port)
    if reason:
        print(busy.format(reason), file=sys.stderr)
        return 1
    try:
        recognizer = Recognizer.load(args.model)
    except (ModelNotFoundError, ModelLoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        build_demo(recognizer, args.keep_files).launch(
            server_name=host, server_port=port, **launch_settings(args.keep_files)
        )
    except OSError as exc:  # taken between the check and the launch
        print(busy.format(exc.strerror or "in use"), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
