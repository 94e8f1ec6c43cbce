"""Downloading MNIST: public mirrors in turn, retries, a progress bar, and every file checked.

``digitlib.data.load_mnist`` calls ``download_mnist`` when no folder holds the files; chapter 1
shows where the data comes from. ``DIGITLIB_MNIST_MIRRORS`` (comma-separated URLs) replaces the
mirrors, which is how the tests serve them from 127.0.0.1.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from . import data

log = logging.getLogger(__name__)


def _fetch(url: str, dest: Path, timeout: float, progress: bool) -> None:
    """Stream ``url`` into ``dest`` through a temporary file, renamed only when complete."""
    from tqdm.auto import tqdm

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "digitlib"})
        with (
            urllib.request.urlopen(request, timeout=timeout) as response,
            os.fdopen(fd, "wb") as out,
        ):
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=dest.name,
                disable=not progress,
                leave=False,
            ) as bar:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    bar.update(len(chunk))
            if total is not None and out.tell() != total:
                raise data.MnistError(f"{url}: got {out.tell()} of {total} bytes.")
        os.replace(tmp, dest)
    except BaseException:
        # Interrupted or failed: leave nothing half-written in the cache.
        Path(tmp).unlink(missing_ok=True)
        raise


def download_mnist(
    folder: Path | str | None = None,
    mirrors: Sequence[str] | None = None,
    *,
    timeout: float = 15.0,
    retries: int = 2,
    progress: bool = True,
) -> Path:
    """Download the four MNIST files into ``folder`` (default: the cache) and verify them.

    Each mirror is tried in turn; a transient failure (time-out, server error) is retried
    ``retries`` times with a short back-off. A mirror that cannot be reached at all, or that
    serves a file with the wrong checksum, is skipped. Returns the folder.
    """
    folder = Path(folder) if folder is not None else data.mnist_cache_dir()
    mirrors = list(mirrors if mirrors is not None else _configured_mirrors())
    dead: set[str] = set()
    errors: list[str] = []
    for f in data.FILES:
        dest = folder / f"{f.name}.gz"
        if dest.is_file():
            try:
                data.read_checked(dest, f)
                continue
            except data.MnistError as exc:
                log.warning("Replacing a bad cached file: %s", exc)
                dest.unlink()
        for mirror in mirrors:
            if mirror in dead:
                continue
            url = mirror.rstrip("/") + "/" + f.name + ".gz"
            if _download_one(url, dest, f, timeout, retries, progress, errors):
                break
            if _unreachable(errors[-1]):
                dead.add(mirror)
        else:
            raise data.MnistNotFound([folder], errors)
    return folder


def _download_one(
    url: str,
    dest: Path,
    f: data.MnistFile,
    timeout: float,
    retries: int,
    progress: bool,
    errors: list[str],
) -> bool:
    for attempt in range(retries + 1):
        try:
            _fetch(url, dest, timeout, progress)
            data.read_checked(dest, f)
            return True
        except data.MnistError as exc:
            dest.unlink(missing_ok=True)
            errors.append(f"{url}: {exc}")
            return False  # a wrong file will not get better on retry
        except urllib.error.HTTPError as exc:
            errors.append(f"{url}: HTTP {exc.code} {exc.reason}")
            if exc.code < 500:
                return False
        except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            errors.append(f"{url}: {type(reason).__name__}: {reason}")
            if _unreachable(errors[-1]):
                return False
        if attempt < retries:
            time.sleep(0.5 * 2**attempt)
    return False


def _unreachable(error: str) -> bool:
    """DNS failures and refused connections will not heal within a retry."""
    markers = (
        "gaierror",
        "Name or service not known",
        "nodename nor servname",
        "Temporary failure in name resolution",
        "ConnectionRefusedError",
        "Connection refused",
        "Network is unreachable",
    )
    return any(m in error for m in markers)


def _configured_mirrors() -> list[str]:
    env = os.environ.get("DIGITLIB_MNIST_MIRRORS")
    return [m.strip() for m in env.split(",") if m.strip()] if env else list(data.MIRRORS)
