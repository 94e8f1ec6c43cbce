"""Fetch ONNX Runtime Web for the book's sketchpad page, from its npm package.

    python scripts/fetch_onnxruntime_web.py book/static/sketchpad/ort

Writes the WebAssembly build of onnxruntime-web (the module the page imports, its loader and
the runtime) and a VERSION file into the folder. Nothing here is committed: `make book` runs
this before building, and the tests run it into a temporary folder.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

#: The release the page is tested with.
PACKAGE = "onnxruntime-web"
VERSION = "1.30.0"
#: The WebAssembly-only build: the module the page imports, its loader, and the runtime.
FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")


def fetch(dest: Path) -> None:
    """Copy the runtime's files from the npm package into ``dest``."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit(f"npm is needed to fetch {PACKAGE}: install Node.js (apt-get install npm)")
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run(
            [npm, "pack", f"{PACKAGE}@{VERSION}", "--silent", "--pack-destination", tmp],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            sys.exit(f"npm pack {PACKAGE}@{VERSION} failed:\n{run.stderr.strip()}")
        (tarball,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as tar:
            for name in FILES:
                with tar.extractfile(f"package/dist/{name}") as src, open(dest / name, "wb") as out:
                    shutil.copyfileobj(src, out)
    (dest / "VERSION").write_text(f"{PACKAGE}@{VERSION}\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="the folder to write (created if missing)")
    args = parser.parse_args(argv)
    fetch(args.dest)
    print(f"wrote {PACKAGE}@{VERSION} into {args.dest}")


if __name__ == "__main__":
    main()
