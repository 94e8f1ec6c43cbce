"""The data layer: IDX reading, checksums, the download path, the quick sample, the helpers."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import socket
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from digitlib import data

# ---------------------------------------------------------------------------------------------
# A small stand-in for MNIST with its own checksums, so the download path needs no real data.


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def tiny_mnist(monkeypatch):
    """Swap data.FILES for four small files; return {file name: gzip bytes}."""
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        "y_train": np.arange(30, dtype=np.uint8) % 10,
        "x_test": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        "y_test": np.arange(10, dtype=np.uint8),
    }
    files, blobs = [], {}
    for f in data.FILES:
        raw = idx_bytes(arrays[f.key])
        files.append(
            data.MnistFile(f.key, f.name, hashlib.md5(raw).hexdigest(), arrays[f.key].shape)
        )
        blobs[f.name + ".gz"] = gzip.compress(raw)
    monkeypatch.setattr(data, "FILES", tuple(files))
    return blobs


class Mirror(http.server.BaseHTTPRequestHandler):
    """Serves /good/, /broken/ (HTTP 500), /garbage/ (wrong bytes) and /cut/ (drops midway)."""

    blobs: dict[str, bytes] = {}
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        self.hits.append(self.path)
        kind, _, name = self.path.strip("/").partition("/")
        blob = self.blobs.get(name)
        if blob is None or kind == "broken":
            self.send_error(404 if blob is None else 500)
            return
        if kind == "garbage":
            blob = gzip.compress(b"\x00\x00\x08\x01" + b"\x00\x00\x00\x05" + b"nope!")
        self.send_response(200)
        self.send_header("Content-Length", str(len(blob)))
        self.end_headers()
        if kind == "cut":
            self.wfile.write(blob[: len(blob) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(blob)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tiny_mnist):
    Mirror.blobs = tiny_mnist
    Mirror.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Mirror)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# IDX reading


def test_parse_idx_reads_a_valid_file():
    array = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    np.testing.assert_array_equal(data.parse_idx(idx_bytes(array)), array)


def test_parse_idx_rejects_bad_magic():
    raw = bytearray(idx_bytes(np.zeros((2, 3), np.uint8)))
    raw[0] = 0x1F
    with pytest.raises(data.MnistError, match="bad magic number"):
        data.parse_idx(bytes(raw), "x.idx")


def test_parse_idx_rejects_truncated_file():
    raw = idx_bytes(np.zeros((5, 28, 28), np.uint8))
    with pytest.raises(data.MnistError, match="truncated"):
        data.parse_idx(raw[:-100], "x.idx")


def test_parse_idx_rejects_wrong_count():
    raw = idx_bytes(np.zeros((5, 28, 28), np.uint8))
    raw = raw[:4] + (6).to_bytes(4, "big") + raw[8:]  # header claims 6 images, holds 5
    with pytest.raises(data.MnistError, match=r"shape \(6, 28, 28\)"):
        data.parse_idx(raw, "x.idx")


def test_parse_idx_rejects_cut_header():
    with pytest.raises(data.MnistError, match="cut short"):
        data.parse_idx(bytes([0, 0, 8, 3, 0, 0]), "x.idx")


# ---------------------------------------------------------------------------------------------
# Folders and the cache


def write_folder(folder: Path, blobs: dict[str, bytes], raw: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, blob in blobs.items():
        if raw:
            (folder / name.removesuffix(".gz")).write_bytes(gzip.decompress(blob))
        else:
            (folder / name).write_bytes(blob)
    return folder


@pytest.mark.parametrize("raw", [False, True], ids=["gz", "raw"])
def test_load_from_named_folder_gz_or_raw(tmp_path, tiny_mnist, raw):
    folder = write_folder(tmp_path / "mnist", tiny_mnist, raw=raw)
    (x_train, y_train), (x_test, y_test) = data.load_mnist(folder)
    assert x_train.shape == (30, 28, 28) and x_train.dtype == np.uint8
    assert y_test.tolist() == list(range(10))


def test_environment_variable_is_used(tmp_path, tiny_mnist, monkeypatch):
    folder = write_folder(tmp_path / "env", tiny_mnist)
    monkeypatch.setenv("DIGITLIB_DATA_DIR", str(folder))
    (_, y_train), _ = data.load_mnist()
    assert len(y_train) == 30


def test_corrupt_file_in_named_folder_is_a_clear_error(tmp_path, tiny_mnist):
    folder = write_folder(tmp_path / "mnist", tiny_mnist)
    bad = folder / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x0a" + bytes(range(1, 11))))
    with pytest.raises(data.MnistError) as err:
        data.load_mnist(folder)
    message = str(err.value)
    assert str(bad) in message and "checksum mismatch" in message
    assert data.FILES[3].md5 in message  # says what was expected
    assert bad.exists(), "a file in the user's own folder is never deleted"


def test_corrupt_cached_file_is_replaced_by_download(server, tiny_mnist, monkeypatch):
    cache = write_folder(data.mnist_cache_dir(), tiny_mnist)
    bad = cache / "train-labels-idx1-ubyte.gz"
    bad.write_bytes(b"\x1f\x8b this is not gzip")
    monkeypatch.setenv("DIGITLIB_MNIST_MIRRORS", f"{server}/good/")
    (_, y_train), _ = data.load_mnist()
    assert y_train.tolist() == (np.arange(30) % 10).tolist()
    assert bad.read_bytes() == tiny_mnist["train-labels-idx1-ubyte.gz"]
    assert Mirror.hits == ["/good/train-labels-idx1-ubyte.gz"], "only the bad file is fetched"


@pytest.mark.parametrize("first", ["broken", "garbage", "cut"])
def test_download_falls_back_to_next_mirror(server, tiny_mnist, monkeypatch, first):
    monkeypatch.setenv("DIGITLIB_MNIST_MIRRORS", f"{server}/{first}/,{server}/good/")
    (x_train, _), (x_test, _) = data.load_mnist()
    assert x_train.shape == (30, 28, 28) and x_test.shape == (10, 28, 28)
    assert any(h.startswith(f"/{first}/") for h in Mirror.hits)
    cached = sorted(p.name for p in data.mnist_cache_dir().iterdir())
    assert cached == sorted(tiny_mnist), "only whole, verified files are kept"


def test_interrupted_download_leaves_nothing_in_the_cache(server, monkeypatch):
    monkeypatch.setenv("DIGITLIB_MNIST_MIRRORS", f"{server}/cut/")
    with pytest.raises(data.MnistNotFound):
        data.load_mnist()
    cache = data.mnist_cache_dir()
    assert not cache.exists() or list(cache.iterdir()) == []


def test_no_data_and_no_network_fails_fast_with_advice(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLIB_MNIST_MIRRORS", f"http://127.0.0.1:{closed_port()}/")
    monkeypatch.setenv("DIGITLIB_DATA_DIR", str(tmp_path / "nowhere"))
    start = time.monotonic()
    with pytest.raises(data.MnistNotFound) as err:
        data.load_mnist()
    assert time.monotonic() - start < 10
    message = str(err.value)
    assert "DIGITLIB_DATA_DIR" in message and "DIGITLIB_QUICK=1" in message
    assert str(tmp_path / "nowhere") in message and str(data.mnist_cache_dir()) in message
    assert "train-images-idx3-ubyte.gz" in message  # lists what to put where


# ---------------------------------------------------------------------------------------------
# Full MNIST and the quick sample


def test_full_mnist_shapes_and_class_counts(mnist_dir):
    (x_train, y_train), (x_test, y_test) = data.load_mnist(mnist_dir)
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and x_test.shape == (10000, 28, 28)
    assert y_test.shape == (10000,)
    assert np.bincount(y_train).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_quick_sample_is_balanced_and_loads_offline(monkeypatch):
    monkeypatch.setenv("DIGITLIB_MNIST_MIRRORS", f"http://127.0.0.1:{closed_port()}/")
    monkeypatch.setenv("DIGITLIB_QUICK", "1")
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert x_train.shape == (2000, 28, 28) and x_test.shape == (500, 28, 28)
    assert np.bincount(y_train).tolist() == [200] * 10
    assert np.bincount(y_test).tolist() == [50] * 10
    again = data.load_mnist(quick=True)
    np.testing.assert_array_equal(again[0][0], x_train)
    assert data.QUICK_SAMPLE.stat().st_size <= 1_000_000


def test_quick_sample_is_what_the_script_makes_from_mnist(mnist_dir):
    rebuilt = data.make_quick_sample(data.load_mnist(mnist_dir))
    shipped = data.load_quick_sample()
    for made, kept in zip(rebuilt, shipped, strict=True):
        np.testing.assert_array_equal(made[0], kept[0])
        np.testing.assert_array_equal(made[1], kept[1])


# ---------------------------------------------------------------------------------------------
# Helpers


def test_train_val_split_is_stratified_seeded_and_disjoint():
    (x, y), _ = data.load_quick_sample()
    (xa, ya), (xv, yv) = data.train_val_split(x, y, 0.1, seed=1)
    assert len(ya) == 1800 and len(yv) == 200
    assert np.bincount(yv).tolist() == [20] * 10
    (_, ya2), (_, yv2) = data.train_val_split(x, y, 0.1, seed=1)
    assert ya.tolist() == ya2.tolist() and yv.tolist() == yv2.tolist()
    seen = {a.tobytes() for a in xa}
    assert not any(v.tobytes() in seen for v in xv)
    with pytest.raises(ValueError):
        data.train_val_split(x, y, 1.5)


def gzip_bomb(megabytes: int) -> bytes:
    """A small gzip file that decompresses to ``megabytes`` MB of zeros, made chunk by chunk."""
    out = io.BytesIO()
    zeros = bytes(1 << 20)
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as stream:
        for _ in range(megabytes):
            stream.write(zeros)
    return out.getvalue()


def test_gzip_bomb_in_a_folder_stops_at_the_size_mnist_can_have(tmp_path, tiny_mnist):
    folder = write_folder(tmp_path / "mnist", tiny_mnist)
    bomb = gzip_bomb(200)
    assert len(bomb) < 1_000_000
    (folder / "train-images-idx3-ubyte.gz").write_bytes(bomb)
    tracemalloc.start()
    try:
        with pytest.raises(data.MnistError, match="decompresses to more than") as err:
            data.load_mnist(folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    limit = 16 + 30 * 28 * 28  # the tiny x_train file
    assert f"{limit:,} bytes" in str(err.value)
    assert peak < 3 * limit + 5_000_000, f"{peak / 1e6:.0f} MB held while reading a bomb"


def test_idx_size_is_the_real_mnist_file_size(tmp_path, tiny_mnist):
    folder = write_folder(tmp_path / "mnist", tiny_mnist)
    for f in data.FILES:
        assert len(gzip.decompress(tiny_mnist[f.name + ".gz"])) == data.idx_size(f)
    assert data.load_mnist(folder)[0][0].shape == (30, 28, 28)
