"""The "Try it" page without the rest of the book: its scripts, the model and the runtime in a
temporary folder laid out as in the built book, served by a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "book" / "static" / "sketchpad"
PAGE = "book/tryit.html"  # where the book puts the page, relative to the site's root


def build_site(dest: Path, onnx_model: Path) -> Path:
    """Lay out the page as the book build does: book/tryit.html and _static/sketchpad/.

    Needs npm, for ONNX Runtime Web: a test without it is skipped, except in CI.
    """
    if shutil.which("npm") is None:
        import pytest

        if os.environ.get("CI"):
            pytest.fail("npm is missing in CI: .ci/run must install it (apt-get install npm)")
        pytest.skip("no npm to fetch onnxruntime-web with (apt-get install npm)")
    static = dest / "_static" / "sketchpad"
    shutil.copytree(STATIC, static, ignore=shutil.ignore_patterns("ort", "*.onnx"))
    shutil.copy(onnx_model, static / "digit_cnn.onnx")
    fetch = ROOT / "scripts" / "fetch_onnxruntime_web.py"
    subprocess.run([sys.executable, str(fetch), str(static / "ort")], check=True, timeout=600)
    fragment = (STATIC / "pad.html").read_text()
    page = dest / PAGE
    page.parent.mkdir(parents=True)
    page.write_text(
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Try it</title>'
        f"</head>\n<body>\n{fragment}\n</body></html>\n"
    )
    return dest


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """Serve ``folder`` on a free port of 127.0.0.1; yield the site's base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
