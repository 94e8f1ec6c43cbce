"""Draw a digit, and watch the network read it: the digits sketchpad demo (Gradio).

    python demo.py                      # http://127.0.0.1:7860
    python demo.py --host 0.0.0.0 --port 8080 --model path/to/model.weights.h5

Runs with no internet: analytics are off and the page uses the system's fonts.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402

from digitlib.inference import ModelLoadError, ModelNotFoundError, Recognizer  # noqa: E402
from digitlib.preprocess import ImageError  # noqa: E402

log = logging.getLogger("digits.demo")

NOTHING_DRAWN = "Nothing drawn yet: draw a digit, large, in the middle of the square."
NOTHING_FOUND = "No digit found in that image: try a darker pen or a closer photo."
CANVAS = 280
# The 28x28 picture the model saw, blown up (nearest neighbour) so its pixels show.
ZOOM = 8


def _zoom(image28: np.ndarray) -> np.ndarray:
    """White-on-black 28x28 floats to a large black-on-white uint8 picture."""
    pixels = (255 * (1.0 - np.clip(image28, 0, 1))).astype(np.uint8)
    return np.kron(pixels, np.ones((ZOOM, ZOOM), np.uint8))


def read_sketch(recognizer: Recognizer, payload):
    """Sketchpad handler: (top-3 label, what the model saw, message)."""
    try:
        p = recognizer.predict(payload)
    except ImageError as exc:
        return None, None, f"Could not read the drawing: {exc}"
    if p.digit is None:
        return None, None, NOTHING_DRAWN
    return p.top(3), _zoom(p.input_28x28), f"I read a **{p.digit}** ({p.confidence:.0%} sure)."


def read_upload(recognizer: Recognizer, path):
    """Upload handler: (top-3 label, what the model saw, the number read, message)."""
    if path is None:
        return None, None, "", "Upload a photo or scan of a handwritten digit or number."
    try:
        reading = recognizer.read_number(Path(path))
    except ImageError as exc:
        return None, None, "", f"Could not read that file: {exc}"
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


def build_demo(recognizer: Recognizer) -> gr.Blocks:
    """The app: a sketchpad tab and an upload tab, both answered by ``recognizer``."""
    with gr.Blocks(title="digits: draw a digit", analytics_enabled=False) as demo:
        gr.Markdown(
            "# Draw a digit\nA convolutional network trained on MNIST reads what you draw. "
            "It sees only a 28x28 picture, made from your drawing the way MNIST was made."
        )
        with gr.Tab("Draw", id="draw"):
            with gr.Row():
                sketch = gr.Sketchpad(
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
                    label="A photo or scan of a digit or a number",
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
    return demo


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
        help="a .weights.h5 file with its .json card beside it (default: the shipped "
        "models/digit_cnn.weights.h5)",
    )
    args = parser.parse_args(argv)
    try:
        recognizer = Recognizer.load(args.model)
    except (ModelNotFoundError, ModelLoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    build_demo(recognizer).launch(
        server_name=args.host, server_port=args.port, theme=theme(), show_error=True
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
