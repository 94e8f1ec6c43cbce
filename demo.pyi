"""Draw a digit, and watch the network read it: the digits sketchpad demo (Gradio).

    python demo.py                      # http://127.0.0.1:7860
    python demo.py --host 0.0.0.0 --port 8080 --model path/to/model

``GRADIO_SERVER_NAME`` and ``GRADIO_SERVER_PORT`` set the address as on any Gradio host; the
flags win over them. Runs with no internet: analytics are off and the page uses the system's fonts.

Ready to host: every request is checked against the limits below before anything large is
decoded or kept, uploads and results expire from the temporary folder, and a failure is a
one-line message, never a traceback or a server path.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import re
import socket
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
from gradio.components.base import server  # noqa: E402
from gradio.components.image_editor import AcceptBlobs, EditorData  # noqa: E402
from PIL import Image  # noqa: E402
from pydantic import ValidationError  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from digitlib.inference import ModelLoadError, ModelNotFoundError, Recognizer  # noqa: E402
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
#: Largest file accepted by the upload endpoints (Gradio refuses larger ones with HTTP 413).
MAX_FILE_MB = 10
#: Largest request body of any kind: one file plus the form around it.
MAX_REQUEST_BYTES = (MAX_FILE_MB + 1) * 1024 * 1024
#: The image editor's blob endpoint receives one canvas PNG at a time.
MAX_BLOB_BYTES = 1024 * 1024
#: Drawings sent through the blob endpoint and not yet read, across all visitors.
MAX_BLOB_DRAWINGS = 64
#: Uploads and results older than this are deleted from Gradio's temporary folder.
KEEP_FILES_S = 300

TOO_MANY_LAYERS = f"A drawing has at most {MAX_SKETCH_LAYERS} layer; this one has {{n}}."
TOO_LARGE_SKETCH = f"A drawing is at most {CANVAS}x{CANVAS} pixels; this one is {{w}}x{{h}}."
TOO_LARGE_UPLOAD = (
    f"the image is {{w}}x{{h}} pixels; this demo reads images of up to {MAX_UPLOAD_PIXELS:,} "
    f"pixels ({MAX_UPLOAD_PIXELS // 1_000_000} megapixels) and {MAX_FILE_MB} MB"
)
NOT_A_DRAWING = "That is not a drawing from this sketchpad (expected background, layers, composite)."
# The 28x28 picture the model saw, blown up (nearest neighbour) so its pixels show.
ZOOM = 8


def _zoom(image28: np.ndarray) -> np.ndarray:
    """White-on-black 28x28 floats to a large black-on-white uint8 picture."""
    pixels = (255 * (1.0 - np.clip(image28, 0, 1))).astype(np.uint8)
    return np.kron(pixels, np.ones((ZOOM, ZOOM), np.uint8))


def public(message: str) -> str:
    """A message fit for a visitor: one line, and no server paths (only a file's own name)."""
    message = re.sub(r"(?:[A-Za-z]:)?(?:[\\/][^\s'\"\\/]+)+[\\/]([^\s'\"\\/]+)", r"\1", message)
    return " ".join(message.split())


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
    return p.top(3), _zoom(p.input_28x28), f"I read a **{p.digit}** ({p.confidence:.0%} sure)."


def check_upload(path: Path) -> None:
    """Refuse an image whose header says it is too large, before any of it is decoded."""
    try:
        with Image.open(path) as img:
            w, h = img.size
    except Exception:  # not an image: the reader below says so in its own words
        return
    if w * h > MAX_UPLOAD_PIXELS:
        raise ImageError(TOO_LARGE_UPLOAD.format(w=w, h=h))


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
    plural = "digit" if len(reading.digits) == 1 else f"{len(reading.digits)} digits"
    return label, _zoom(strip), reading.text, f"I read **{reading.text}** ({plural})."


# ---------------------------------------------------------------------------------------------
# The sketchpad, bounded


def check_sketch_image(source, what: str = "drawing") -> None:
    """Raise ``gr.Error`` unless ``source`` (a path or PNG bytes) is at most CANVAS x CANVAS.

    Only the header is read, so a 177-megapixel layer costs nothing to refuse.
    """
    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as img:
            w, h = img.size
    except Exception:
        raise gr.Error(f"Could not read the {what}: it is not a PNG image.") from None
    if w > CANVAS or h > CANVAS:
        raise gr.Error(TOO_LARGE_SKETCH.format(w=w, h=h))


class SketchData(EditorData):
    """The sketchpad's payload; a payload of the wrong shape is a one-line error."""

    @classmethod
    def model_validate(cls, obj, *args, **kwargs):
        try:
            return super().model_validate(obj, *args, **kwargs)
        except ValidationError:
            raise gr.Error(NOT_A_DRAWING) from None

from gradio.events import Dependency

class BoundedSketchpad(gr.Sketchpad):
    """A sketchpad that checks layers and pixel sizes before Gradio decodes any image.

    Gradio's own ``preprocess`` decodes the background, the composite and every layer, at
    whatever size the client claims, and its blob endpoint keeps whatever it is sent. Here both
    are refused above one CANVAS x CANVAS layer, and the blob store holds a bounded number of
    drawings.
    """

    data_model = SketchData

    # The page draws it with the image editor's own front end, as it does gr.Sketchpad.
    def get_block_name(self) -> str:
        return "imageeditor"

    def get_block_class(self) -> str:
        return "imageeditor"

    def preprocess(self, payload):
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
                "composite": self.convert_and_format_image(composite, flatten_on_white=True),
            }
        except Exception as exc:
            raise gr.Error(public(f"Could not read the drawing: {exc}")) from None

    @server
    def accept_blobs(self, data: AcceptBlobs):
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
        return super().accept_blobs(data)
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component


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
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send)
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

    async def _refuse(self, send) -> None:
        body = self.message.encode()
        headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def launch_settings() -> dict:
    """The ``launch()`` arguments that bound uploads; ``build_demo`` sets the cache expiry."""
    return {
        "max_file_size": f"{MAX_FILE_MB}mb",
        "app_kwargs": {"middleware": [Middleware(BodyLimit)]},
        "show_error": False,  # only our own one-line gr.Error messages reach the visitor
    }


def build_demo(recognizer: Recognizer, keep_files_s: int = KEEP_FILES_S) -> gr.Blocks:
    """The app: a sketchpad tab and an upload tab, both answered by ``recognizer``.

    Files Gradio stores (uploads, the drawings' PNGs, the pictures it sends back) are deleted
    once older than ``keep_files_s`` seconds, and all of them when the server stops.
    """
    every = max(1, min(60, keep_files_s // 2))
    with gr.Blocks(
        title="digits: draw a digit", analytics_enabled=False, delete_cache=(every, keep_files_s)
    ) as demo:
        gr.Markdown(
            "# Draw a digit\nA convolutional network trained on MNIST reads what you draw. "
            "It sees only a 28x28 picture, made from your drawing the way MNIST was made."
        )
        with gr.Tab("Draw", id="draw"):
            with gr.Row():
                sketch = BoundedSketchpad(
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
                    upload_seen = gr.Image(label="What the network saw", interactive=False)
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
# a visitor's first stroke draws.
SELECT_BRUSH = """() => {
  const pick = (tries) => {
    const brush = document.querySelector('#sketchpad button[aria-label="Brush"]');
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The digits sketchpad demo.")
    parser.add_argument("--host", default=os.environ.get("DIGITS_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("DIGITS_PORT", "7860")))
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="a .keras file (default: the shipped models/digit_cnn.keras)",
    )
    args = parser.parse_args(argv)
    try:
        recognizer = Recognizer.load(args.model)
    except ModelNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    build_demo(recognizer).launch(
        server_name=args.host, server_port=args.port, theme=theme(), show_error=True
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())