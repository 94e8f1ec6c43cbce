"""`make lab` opens the chapters in JupyterLab, which the install provides."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHAPTERS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


def test_the_install_provides_jupyterlab():
    run = subprocess.run(
        [str(BIN / "jupyter"), "lab", "--version"], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert int(run.stdout.strip().split(".")[0]) >= 4, run.stdout


def test_make_lab_serves_the_chapters_on_localhost(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        # Lab's settings, workspaces and runtime files go to the temporary folder, not $HOME.
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    token = "digits-test"
    flags = f"--no-browser --IdentityProvider.token={token}"
    if os.geteuid() == 0:  # CI containers run as root, which JupyterLab refuses unless told
        flags += " --allow-root"
    command = [
        "make",
        "--no-print-directory",
        "-o",
        "install",
        "-o",
        f"{Path(sys.prefix).name}/.installed",
        "lab",
        f"VENV={sys.prefix}",
        f"LAB_PORT={port}",
        f"LAB_FLAGS={flags}",
    ]
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # make and the server it starts: one group to stop
    )
    try:
        listing = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/api/contents?token={token}"
                with urllib.request.urlopen(url, timeout=5) as reply:
                    listing = json.load(reply)
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, f"JupyterLab did not answer: {server.stderr.read1().decode()}"
        names = sorted(item["name"] for item in listing["content"])
        assert [n for n in names if n.endswith(".ipynb")] == CHAPTERS
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}") as page:
            assert b"JupyterLab" in page.read()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_every_install_path_includes_jupyterlab_and_the_docs_say_make_lab():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(req.startswith("jupyterlab") for req in extras["lab"])
    assert any(req.startswith("digitlib[") and "lab" in req for req in extras["dev"])
    assert "lab" in (ROOT / "environment.yml").read_text().split("-e .[")[1].split("]")[0]
    for doc in ("README.md", "book/intro.md"):
        assert "make lab" in (ROOT / doc).read_text(), doc
