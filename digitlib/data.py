"""MNIST that always loads: from a folder you name, the cache, a download, or the quick sample.

``load_mnist()`` keeps the contract of ``keras.datasets.mnist.load_data()``::

    (x_train, y_train), (x_test, y_test) = load_mnist()

Where it looks, in order: the ``data_dir`` argument, the ``DIGITLIB_DATA_DIR`` environment
variable, the per-user cache (``~/.cache/digitlib/mnist``), then a download from public mirrors
into that cache. Every file is checked by the md5 of its decompressed bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import config
from .contract import NUM_CLASSES

log = logging.getLogger(__name__)

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class MnistFile:
    key: str
    name: str  # the raw IDX file name; on the mirrors it carries ``.gz``
    md5: str  # of the decompressed bytes
    shape: tuple[int, ...]


FILES: tuple[MnistFile, ...] = (
    MnistFile(
        "x_train", "train-images-idx3-ubyte", "6bbc9ace898e44ae57da46a324031adb", (60000, 28, 28)
    ),
    MnistFile("y_train", "train-labels-idx1-ubyte", "a25bea736e30d166cdddb491f175f624", (60000,)),
    MnistFile(
        "x_test", "t10k-images-idx3-ubyte", "2646ac647ad5339dbf082846283269ea", (10000, 28, 28)
    ),
    MnistFile("y_test", "t10k-labels-idx1-ubyte", "27ae3e4e09519cfbb04c329615203637", (10000,)),
)

#: Public mirrors of the four ``.gz`` files, tried in turn.
MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)

QUICK_SAMPLE = config.PACKAGE_DIR / "_data" / "mnist_quick.npz"
QUICK_TRAIN_PER_CLASS = 200
QUICK_TEST_PER_CLASS = 50

# IDX element types (the third byte of the magic number).
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class MnistError(RuntimeError):
    """MNIST could not be read or fetched; the message says what to do."""


class MnistNotFound(MnistError):
    """No copy of MNIST anywhere, and no mirror answered; ``attempts`` says what was tried."""

    def __init__(self, looked: Sequence[Path], attempts: Sequence[str]):
        self.attempts = list(attempts)
        super().__init__(_not_found_message(looked, self.attempts))


# ---------------------------------------------------------------------------------------------
# Reading IDX files


def parse_idx(raw: bytes, source: str = "IDX data") -> np.ndarray:
    """Decode the bytes of an IDX file, checking its magic number, dimensions and length."""
    if len(raw) < 4:
        raise MnistError(f"{source}: only {len(raw)} bytes, too short to be an IDX file.")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise MnistError(
            f"{source}: bad magic number {raw[:4].hex()}; an IDX file starts with 0000 then a "
            "type byte (08 for unsigned bytes). Is this an MNIST file?"
        )
    ndim = raw[3]
    if ndim == 0 or len(raw) < 4 + 4 * ndim:
        raise MnistError(f"{source}: header claims {ndim} dimensions but is cut short.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    body = memoryview(raw)[4 + 4 * ndim :]
    if len(body) != expected:
        raise MnistError(
            f"{source}: header says shape {shape} ({expected} bytes of data) but the file holds "
            f"{len(body)} bytes; it is truncated or corrupt. Delete it and load again."
        )
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def idx_size(f: MnistFile) -> int:
    """The exact size in bytes of ``f``'s IDX file: a 4-byte magic, 4 bytes a dimension, data."""
    return 4 + 4 * len(f.shape) + int(np.prod(f.shape))


def _decompress(blob: bytes, source: str, limit: int) -> bytes:
    """Gunzip ``blob``, reading at most ``limit`` + 1 bytes: a gzip bomb stops there."""
    if blob[:2] != b"\x1f\x8b":
        return blob  # a raw IDX file
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(blob)) as stream:
            raw = stream.read(limit + 1)
    except (OSError, EOFError) as exc:
        raise MnistError(f"{source}: not a readable gzip file ({exc}).") from exc
    if len(raw) > limit:
        raise MnistError(
            f"{source}: decompresses to more than the {limit:,} bytes this MNIST file has; it is "
            "corrupt or not an MNIST file. Replace it with a fresh copy."
        )
    return raw


def _find(folder: Path, f: MnistFile) -> Path | None:
    for candidate in (folder / f"{f.name}.gz", folder / f.name):
        if candidate.is_file():
            return candidate
    return None


def read_checked(path: Path, f: MnistFile) -> np.ndarray:
    """Read one file; raise MnistError unless its decompressed md5 and shape are MNIST's."""
    raw = _decompress(path.read_bytes(), str(path), idx_size(f))
    digest = hashlib.md5(raw).hexdigest()
    if digest != f.md5:
        raise MnistError(
            f"{path}: checksum mismatch (md5 of the decompressed bytes is {digest}, expected "
            f"{f.md5}). The file is corrupt or not the MNIST {f.name}; replace it with a fresh "
            f"copy from {MIRRORS[0]}{f.name}.gz"
        )
    array = parse_idx(raw, str(path))
    if array.shape != f.shape:
        raise MnistError(f"{path}: shape {array.shape}, expected {f.shape}.")
    return array


def _arrays(found: dict[str, np.ndarray]) -> Arrays:
    return (found["x_train"], found["y_train"]), (found["x_test"], found["y_test"])


def _not_found_message(looked: Sequence[Path], errors: Sequence[str]) -> str:
    cache = mnist_cache_dir()
    urls = "\n".join(f"  {MIRRORS[0]}{f.name}.gz" for f in FILES)
    where = "\n".join(f"  {p}" for p in looked)
    tried = "\n".join(f"  {e}" for e in errors[-6:]) or "  (no mirror was tried)"
    return (
        "MNIST could not be found or downloaded.\n"
        f"Looked in:\n{where}\n"
        f"Download attempts:\n{tried}\n"
        "To fix it, either:\n"
        "  - set DIGITLIB_DATA_DIR to a folder holding the four MNIST files (.gz or raw IDX), or\n"
        f"  - download these four files by hand into {cache}:\n{urls}\n"
        "  - or run with DIGITLIB_QUICK=1 to use the small sample shipped with digitlib."
    )


# ---------------------------------------------------------------------------------------------
# Loading


def mnist_cache_dir() -> Path:
    """Where downloads are kept: ``$XDG_CACHE_HOME/digitlib/mnist`` (or ``~/.cache/...``)."""
    return config.cache_dir() / "mnist"


def load_from_folder(folder: Path | str) -> Arrays:
    """Load and verify the four files from ``folder``; MnistError if one is missing or bad."""
    folder = Path(folder)
    found = {}
    for f in FILES:
        path = _find(folder, f)
        if path is None:
            raise MnistError(f"{folder}: {f.name}(.gz) is missing.")
        found[f.key] = read_checked(path, f)
    return _arrays(found)


def load_quick_sample() -> Arrays:
    """The small, class-balanced sample shipped inside the package (no data folder needed)."""
    with np.load(QUICK_SAMPLE) as z:
        return (z["x_train"], z["y_train"]), (z["x_test"], z["y_test"])


def load_mnist(data_dir: Path | str | None = None, quick: bool | None = None) -> Arrays:
    """Return MNIST as ``(x_train, y_train), (x_test, y_test)`` uint8 arrays.

    Shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,), as with
    ``keras.datasets.mnist.load_data()``. In quick mode (``quick=True`` or ``DIGITLIB_QUICK=1``)
    it returns the shipped sample of 2,000 training and 500 test images instead.
    """
    if config.is_quick(quick):
        return load_quick_sample()

    named = [Path(p) for p in (data_dir, os.environ.get("DIGITLIB_DATA_DIR")) if p]
    for folder in named:
        if all(_find(folder, f) for f in FILES):
            # A folder you named is yours: a bad file there is an error, never silently replaced.
            return load_from_folder(folder)
        log.warning("%s does not hold all four MNIST files; looking further.", folder)

    from .download import download_mnist  # late: it imports this module

    cache = mnist_cache_dir()
    try:
        download_mnist(cache)  # verifies what is cached, replaces bad files, fetches missing ones
    except MnistNotFound as exc:
        raise MnistNotFound([*named, cache], exc.attempts) from None
    return load_from_folder(cache)


# ---------------------------------------------------------------------------------------------
# The helpers the chapters use


def train_val_split(
    x: np.ndarray, y: np.ndarray, val_fraction: float = 0.1, seed: int = config.SEED
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A seeded split that keeps each digit's share the same in both parts."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    rng = np.random.default_rng(seed)
    val_idx = []
    for digit in np.unique(y):
        idx = np.flatnonzero(y == digit)
        rng.shuffle(idx)
        val_idx.append(idx[: int(round(len(idx) * val_fraction))])
    val = np.sort(np.concatenate(val_idx))
    train = np.setdiff1d(np.arange(len(y)), val)
    train = rng.permutation(train)
    return (x[train], y[train]), (x[val], y[val])


def make_quick_sample(full: Arrays, seed: int = config.SEED) -> Arrays:
    """Pick the quick sample from full MNIST: a fixed number of each digit, chosen by seed."""
    (x_train, y_train), (x_test, y_test) = full
    rng = np.random.default_rng(seed)

    def pick(x: np.ndarray, y: np.ndarray, per_class: int) -> tuple[np.ndarray, np.ndarray]:
        idx = np.concatenate(
            [
                np.sort(rng.choice(np.flatnonzero(y == d), per_class, replace=False))
                for d in range(NUM_CLASSES)
            ]
        )
        idx = rng.permutation(idx)
        return x[idx], y[idx]

    return (
        pick(x_train, y_train, QUICK_TRAIN_PER_CLASS),
        pick(x_test, y_test, QUICK_TEST_PER_CLASS),
    )


def file_md5(path: Path | str) -> str:
    """The md5 of a file's bytes as stored."""
    return hashlib.md5(Path(path).read_bytes()).hexdigest()
