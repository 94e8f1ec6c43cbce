"""Load test: many visitors drawing at once, against ``demo.py`` running in its own process.

    python benchmarks/load_test.py                       # 50 clients x 10 requests
    python benchmarks/load_test.py --clients 10 --requests 5

Each client is a thread with its own HTTP connection doing what the page does for one stroke:
upload the three PNGs of the sketchpad (background, layer, composite), call ``read_sketch``, and
read the answer from the event stream. Latency is from the upload to the answer. The server's
memory (resident, and its peak) is read from /proc before and after. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
CANVAS = 280


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mb(pid: int) -> dict[str, float]:
    """Resident memory now (VmRSS) and at its peak (VmHWM) of process ``pid``, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def running_demo(
    temp_dir: Path, *args: str, timeout: float = 240, app: Path = ROOT / "demo.py"
) -> Iterator[tuple[str, int]]:
    """``demo.py`` on a free local port, its temporary files in ``temp_dir``; yields (url, pid).

    Stopped with SIGINT, as Ctrl-C would, so it cleans up as it does for a person.
    """
    port = free_port()
    env = {**os.environ, "GRADIO_TEMP_DIR": str(temp_dir), "GRADIO_ANALYTICS_ENABLED": "False"}
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, str(app), "--port", str(port), *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=temp_dir,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"demo.py exited: {log.read().decode()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/gradio_api/info", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"demo.py did not answer on {url} in {timeout:.0f} s")
            time.sleep(0.5)
        yield url, proc.pid
    finally:
        proc.send_signal(2)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def sketch_pngs(digit28: np.ndarray, size: int = 180) -> list[tuple[str, bytes]]:
    """The three PNGs the sketchpad uploads for a drawing of ``digit28`` (white on black)."""
    big = np.asarray(Image.fromarray(digit28).resize((size, size), Image.Resampling.BILINEAR))
    alpha = np.zeros((CANVAS, CANVAS), np.uint8)
    top = (CANVAS - size) // 2
    alpha[top : top + size, top : top + size] = big
    layer = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    layer[..., 3] = alpha
    background = np.full((CANVAS, CANVAS, 4), 255, np.uint8)
    composite = background.copy()
    composite[..., :3] = (255 - alpha)[..., None]
    return [
        ("background.png", png(background)),
        ("layer_0.png", png(layer)),
        ("composite.png", png(composite)),
    ]


def file_data(path: str) -> dict:
    return {"path": path, "meta": {"_type": "gradio.FileData"}}


def fn_index(url: str, api_name: str = "read_sketch") -> int:
    """The queue's number for the event named ``api_name``, from the app's config."""
    config = httpx.get(f"{url}/config", timeout=30).json()
    for i, dependency in enumerate(config["dependencies"]):
        if dependency.get("api_name") == api_name:
            return dependency.get("id", i)
    raise LookupError(f"no event named {api_name} in {url}")


def upload(client: httpx.Client, files: list[tuple[str, bytes]]) -> list[str]:
    """Upload files as the page does; their paths on the server."""
    reply = client.post(
        "/gradio_api/upload", files=[("files", (name, blob, "image/png")) for name, blob in files]
    )
    reply.raise_for_status()
    return reply.json()


def call(client: httpx.Client, fn: int, session: str, *inputs) -> list:
    """Join the queue for event ``fn`` and read its answer from the session's event stream.

    Raises ``RuntimeError`` with the server's message when the event fails.
    """
    join = client.post(
        "/gradio_api/queue/join",
        json={"data": list(inputs), "fn_index": fn, "session_hash": session, "event_data": None},
    )
    join.raise_for_status()
    event_id = join.json()["event_id"]
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as sse:
        for line in sse.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            if message.get("event_id") != event_id or message["msg"] != "process_completed":
                continue
            if not message.get("success"):
                raise RuntimeError(f"server error: {(message.get('output') or {}).get('error')}")
            return message["output"]["data"]
    raise RuntimeError("the event stream ended without an answer")


def read_sketch(client: httpx.Client, files: list[tuple[str, bytes]], fn: int, session: str):
    """One stroke, as the page sends it: upload the three PNGs, then call ``read_sketch``."""
    background, layer, composite = upload(client, files)
    payload = {
        "background": file_data(background),
        "layers": [file_data(layer)],
        "composite": file_data(composite),
        "id": None,
    }
    return call(client, fn, session, payload)


def run_load(url: str, clients: int, requests: int, digits: np.ndarray) -> dict:
    """``clients`` threads, each sending ``requests`` strokes one after another."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    strokes = [sketch_pngs(digits[i % len(digits)]) for i in range(clients)]
    fn = fn_index(url)

    def one_client(i: int) -> None:
        session = f"load-{i}-{time.time_ns()}"  # one browser tab per client
        with httpx.Client(base_url=url, timeout=120) as client:
            for _ in range(requests):
                start = time.perf_counter()
                try:
                    label = read_sketch(client, strokes[i], fn, session)[0]
                    assert label and label["label"] in "0123456789", label
                except Exception as exc:  # noqa: BLE001 - every failure is counted
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one_client, range(clients)))
    wall = time.perf_counter() - start
    ordered = sorted(latencies) or [float("nan")]
    return {
        "latencies": latencies,
        "errors": errors,
        "wall": wall,
        "p50": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=10, help="requests per client")
    parser.add_argument("--model", type=Path, default=None, help="default: the shipped model")
    parser.add_argument(
        "--app",
        type=Path,
        default=ROOT / "demo.py",
        help="the app to serve, e.g. an older demo.py to compare (default: this one)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="FILE",
        help="sample the server with py-spy during the load (collapsed stacks to FILE)",
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from digitlib import data

    digits = data.load_quick_sample()[1][0]
    extra = ["--model", str(args.model)] if args.model else []
    with (
        tempfile.TemporaryDirectory() as temp,
        running_demo(Path(temp), *extra, app=args.app) as (url, pid),
    ):
        with httpx.Client(base_url=url, timeout=120) as warm:
            read_sketch(warm, sketch_pngs(digits[0]), fn_index(url), "warm-up")
        before = memory_mb(pid)
        cpu, own_cpu = cpu_seconds(pid), cpu_seconds(os.getpid())
        spy = None
        if args.profile:
            spy = subprocess.Popen(
                [
                    "py-spy",
                    "record",
                    "--pid",
                    str(pid),
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--threads",
                    "--idle",
                    "--nonblocking",
                    "--output",
                    str(args.profile.resolve()),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)
        result = run_load(url, args.clients, args.requests, digits)
        after = memory_mb(pid)
        cpu = cpu_seconds(pid) - cpu
        own_cpu = cpu_seconds(os.getpid()) - own_cpu
        if spy:
            spy.send_signal(2)
            spy.wait(60)

    total = args.clients * args.requests
    load = os.getloadavg()[0]
    print(f"demo.py; {os.cpu_count()} CPUs, load average {load:.1f}; clients on the same machine")
    print(f"the clients used {1000 * own_cpu / total:.0f} ms of CPU a request")
    print()
    print(
        "| clients x requests | errors | req/s | p50 s | p95 s | server CPU ms/request | "
        "server MB before | server MB after | server peak MB |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {args.clients} x {args.requests} | {len(result['errors'])} of {total} | "
        f"{len(result['latencies']) / result['wall']:.1f} | {result['p50']:.2f} | "
        f"{result['p95']:.2f} | {1000 * cpu / total:.0f} | {before['VmRSS']:.0f} | "
        f"{after['VmRSS']:.0f} | {after['VmHWM']:.0f} |"
    )
    for error in sorted(set(result["errors"]))[:5]:
        print(f"error: {error}", file=sys.stderr)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
