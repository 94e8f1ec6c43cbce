"""A hostile client against ``demo.py`` in its own process: every limit holds, memory and disk
stay bounded, and each refusal is a one-line message that states the real limit.

The server runs as it would on a host (``python demo.py``), its temporary folder in a test
folder, so its memory (peak resident, from /proc) and its files can be checked afterwards.
"""

from __future__ import annotations

import io
import socket
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from digitlib import data

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from load_test import (  # noqa: E402
    call,
    file_data,
    fn_index,
    memory_mb,
    png,
    read_sketch,
    running_demo,
    sketch_pngs,
    upload,
)

import demo  # noqa: E402

KEEP_FILES_S = 4
#: Above the server's resident size after start-up; the attacks below took gigabytes before.
MEMORY_SLACK_MB = 300


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def megabytes(folder: Path) -> float:
    return sum(p.stat().st_size for p in files_in(folder)) / 1e6


def bilevel_png(width: int, height: int) -> bytes:
    """A huge, almost empty 1-bit PNG: tens of kilobytes that decode to width x height pixels."""
    buffer = io.BytesIO()
    Image.new("1", (width, height), 0).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    temp = tmp_path_factory.mktemp("gradio-temp")
    with running_demo(temp, "--keep-files", str(KEEP_FILES_S)) as (url, pid):
        with httpx.Client(base_url=url, timeout=120) as client:
            digits = data.load_quick_sample()[1][0]
            read_sketch(client, sketch_pngs(digits[0]), fn_index(url), "warm-up")
            baseline = memory_mb(pid)["VmRSS"]
            yield {"url": url, "pid": pid, "temp": temp, "client": client, "baseline": baseline}
    # Stopped: Gradio deletes every file it kept.
    left = files_in(temp)
    assert not left, f"{len(left)} files left after shutdown, e.g. {left[:3]}"


def refusal(server, api: str, *inputs) -> str:
    """Send one event; it must fail, and its message is returned."""
    fn = fn_index(server["url"], api)
    with pytest.raises(RuntimeError, match="server error") as err:
        call(server["client"], fn, f"attack-{time.time_ns()}", *inputs)
    message = str(err.value).removeprefix("server error: ")
    assert "\n" not in message and "Traceback" not in message and "/" not in message, message
    return message


def sketch(paths: list[str], layers: int = 1) -> dict:
    return {
        "background": file_data(paths[0]),
        "layers": [file_data(p) for p in paths[1 : 1 + layers]],
        "composite": file_data(paths[-1]),
        "id": None,
    }


def test_a_huge_sketch_layer_is_refused_before_decoding(server):
    huge = bilevel_png(13300, 13300)  # 177 megapixels
    assert len(huge) < 1_000_000
    blank = png(np.full((demo.CANVAS, demo.CANVAS, 4), 255, np.uint8))
    paths = upload(server["client"], [("bg.png", blank), ("layer.png", huge), ("c.png", blank)])
    message = refusal(server, "read_sketch", sketch(paths))
    assert message == demo.TOO_LARGE_SKETCH.format(size="13300x13300 pixels")
    assert f"at most {demo.CANVAS}x{demo.CANVAS} pixels" in message


def test_more_layers_than_the_sketchpad_has_are_refused(server):
    layer = png(np.zeros((demo.CANVAS, demo.CANVAS, 4), np.uint8))
    paths = upload(server["client"], [(f"{i}.png", layer) for i in range(7)])
    message = refusal(server, "read_sketch", sketch(paths, layers=5))
    assert message == demo.TOO_MANY_LAYERS.format(n=5)


@pytest.mark.parametrize(
    "payload",
    ["a string", {"background": 5, "layers": "x"}, [1, 2, 3], {"layers": [{"path": 3}]}],
    ids=["string", "numbers", "list", "bad-file"],
)
def test_payloads_of_the_wrong_shape_get_one_line(server, payload):
    assert refusal(server, "read_sketch", payload) == demo.NOT_A_DRAWING


def test_a_huge_upload_is_refused_from_its_header(server):
    huge = bilevel_png(10900, 10900)  # 118.8 megapixels, under PIL's own bomb limit
    [path] = upload(server["client"], [("photo.png", huge)])
    fn = fn_index(server["url"], "read_upload")
    *_, message = call(server["client"], fn, "upload-attack", file_data(path))
    assert "10900x10900 pixels" in message and f"{demo.MAX_UPLOAD_PIXELS:,} pixels" in message
    assert "/" not in message.replace(f"{demo.MAX_FILE_MB} MB", "")


def test_a_thin_upload_is_read_not_crashed(server):
    thin = np.full((3, 3000), 255, np.uint8)
    thin[1, 100:2900] = 0
    [path] = upload(server["client"], [("thin.png", png(thin))])
    fn = fn_index(server["url"], "read_upload")
    *_, message = call(server["client"], fn, "thin", file_data(path))
    assert "Something went wrong" not in message and "index" not in message.lower(), message


def test_files_over_the_size_limit_are_refused(server):
    client = server["client"]
    strays = set(server["temp"].glob("tmp*"))
    for size in (demo.MAX_REQUEST_BYTES, 30 * 1024 * 1024):  # a file plus its form is over
        big = b"\0" * size
        reply = client.post("/gradio_api/upload", files=[("files", ("big.png", big, "image/png"))])
        assert reply.status_code == 413
        assert (
            reply.text
            == f"Request too large: this demo accepts files of up to {demo.MAX_FILE_MB} MB."
        )

    def chunks():  # no Content-Length
        for _ in range(3 * demo.MAX_FILE_MB):
            yield b"\0" * (1024 * 1024)

    reply = client.post(
        "/gradio_api/upload",
        content=chunks(),
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert reply.status_code == 411
    assert set(server["temp"].glob("tmp*")) <= strays, "no part of a refused upload is kept"


def test_an_upload_broken_off_midway_is_swept(server):
    """A client that declares 5 MB, sends 1 MB and hangs up leaves Gradio's part file behind."""
    host, port = server["url"].removeprefix("http://").split(":")
    head = (
        b'--x\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n"
    )
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(
            b"POST /gradio_api/upload HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            + f"Content-Length: {5 * 1024 * 1024}\r\n\r\n".encode()
            + head
            + b"\0" * (1024 * 1024)
        )
        time.sleep(1)
    deadline = time.monotonic() + 3 * KEEP_FILES_S + 10
    while list(server["temp"].glob("tmp*")) and time.monotonic() < deadline:
        time.sleep(1)
    assert not list(server["temp"].glob("tmp*"))


def blob_request(server, index, blob: bytes, kind: str = "layer", drawing: str = "d"):
    component = next(
        c["id"]
        for c in httpx.get(f"{server['url']}/config").json()["components"]
        if c.get("props", {}).get("elem_id") == "sketchpad"
    )
    return server["client"].post(
        "/gradio_api/component_server",
        data={
            "session_hash": "blob-attack",
            "component_id": str(component),
            "fn_name": "accept_blobs",
            "type": kind,
            "index": str(index),
            "id": drawing,
        },
        files=[("files", ("layer.png", blob, "image/png"))],
    )


def test_blob_endpoint_refuses_a_huge_index_and_large_blobs(server):
    layer = png(np.zeros((demo.CANVAS, demo.CANVAS, 4), np.uint8))
    assert blob_request(server, 0, layer).status_code == 200
    before = memory_mb(server["pid"])["VmRSS"]
    assert blob_request(server, 100_000_000, layer).status_code >= 400
    assert blob_request(server, 0, bilevel_png(13300, 13300)).status_code >= 400
    big = blob_request(server, 0, b"\0" * (2 * demo.MAX_REQUEST_BYTES))
    assert big.status_code == 413
    assert memory_mb(server["pid"])["VmRSS"] - before < 50


def test_uploads_expire_from_the_temporary_folder(server):
    temp, client = server["temp"], server["client"]
    rng = np.random.default_rng(0)
    for i in range(50):
        upload(client, [(f"noise{i}.bin", rng.bytes(1_000_000))])
    assert megabytes(temp) >= 50
    deadline = time.monotonic() + 3 * KEEP_FILES_S + 10
    while megabytes(temp) > 5 and time.monotonic() < deadline:
        time.sleep(1)
    assert megabytes(temp) <= 5, f"{megabytes(temp):.0f} MB still kept"


def test_memory_stayed_bounded_through_the_attacks(server):
    """Last in this module: the server's peak memory over every attack above."""
    peak = memory_mb(server["pid"])["VmHWM"]
    assert peak - server["baseline"] < MEMORY_SLACK_MB, (
        f"peak {peak:.0f} MB, {peak - server['baseline']:.0f} MB over the start"
    )
