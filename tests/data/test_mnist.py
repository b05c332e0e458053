import gzip
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

from digitnet.data import mnist as data
from digitnet.data.mnist import (
    VALIDATION_SIZE,
    DataError,
    load_mnist,
    read_idx,
    validation_split,
    write_idx,
)


@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
        np.array([1, -2, 3], dtype=np.int32),
        np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3),
    ],
)
def test_idx_round_trip(tmp_path, name, array):
    path = write_idx(tmp_path / name, array)
    back = read_idx(path)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")


def _write(tmp_path: Path, raw: bytes, name: str = "x.idx") -> Path:
    path = tmp_path / name
    path.write_bytes(raw)
    return path


def _idx_bytes() -> bytes:
    return data.encode_idx(np.zeros((3, 28, 28), np.uint8))


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x00\x00\x08", "bad magic"),
        (b"\x01\x02\x08\x03" + _idx_bytes()[4:], "bad magic"),
        (b"\x00\x00\x77\x03" + _idx_bytes()[4:], "bad magic"),
        (_idx_bytes()[:10], "truncated IDX header"),
        (_idx_bytes()[:-5], "promises"),
        (_idx_bytes() + b"extra", "promises"),
        (gzip.compress(_idx_bytes())[:-20], "corrupt gzip"),
        (b"\x1f\x8b" + b"garbage" * 10, "corrupt gzip"),
    ],
)
def test_corrupt_idx_is_a_clear_error_naming_the_file(tmp_path, raw, message):
    path = _write(tmp_path, raw)
    with pytest.raises(DataError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_real_mnist_loads(mnist_dir):
    images, labels = load_mnist("test", mnist_dir)
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    train_images, train_labels = load_mnist("train", mnist_dir)
    assert train_images.shape == (60_000, 28, 28) and len(train_labels) == 60_000


def test_wrong_checksum_names_the_file(tmp_path, mnist_dir):
    for name in data.MNIST_FILES:
        (tmp_path / name).write_bytes((mnist_dir / name).read_bytes())
    tampered = tmp_path / "t10k-labels-idx1-ubyte.gz"
    tampered.write_bytes(gzip.compress(read_idx(tampered).tobytes()))  # valid gzip, wrong content
    with pytest.raises(DataError, match="checksum mismatch") as info:
        load_mnist("test", tmp_path, download=False)
    assert str(tampered) in str(info.value)


def test_raw_official_files_load_and_altered_ones_are_refused(tmp_path, mnist_dir):
    """Gunzipped MNIST is verified by checksum too: a shuffled label file once trained at 9 %."""
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (tmp_path / name).write_bytes(gzip.decompress((mnist_dir / f"{name}.gz").read_bytes()))
    images, labels = load_mnist("test", tmp_path, download=False)
    expected_images, expected_labels = load_mnist("test", mnist_dir)
    assert np.array_equal(images, expected_images) and np.array_equal(labels, expected_labels)

    altered = labels.astype(np.uint8)
    altered[0] = 12  # a label out of 0-9
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", altered)
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte: checksum mismatch"):
        load_mnist("test", tmp_path, download=False)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((5, 28, 28), np.uint8))
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte: checksum mismatch"):
        load_mnist("test", tmp_path, download=False)


def test_a_folder_or_an_unreadable_file_is_a_clear_error(tmp_path, mnist_dir):
    (tmp_path / "t10k-images-idx3-ubyte.gz").mkdir()
    with pytest.raises(DataError, match="is a folder, not a data file"):
        load_mnist("test", tmp_path, download=False)
    with pytest.raises(DataError, match="is a folder, not a data file"):
        read_idx(tmp_path / "t10k-images-idx3-ubyte.gz")
    (tmp_path / "t10k-images-idx3-ubyte.gz").rmdir()
    (tmp_path / "t10k-images-idx3-ubyte.gz").symlink_to(tmp_path / "gone")
    with pytest.raises(DataError, match="cannot read"):
        load_mnist("test", tmp_path, download=False)
    (tmp_path / "file").write_text("")
    with pytest.raises(DataError, match="not a folder"):
        load_mnist("test", tmp_path / "file", download=False)


def test_the_validation_split_is_fixed_by_seed_and_disjoint():
    train, val = validation_split(60_000, seed=1)
    assert len(val) == VALIDATION_SIZE and len(train) == 55_000
    assert len(np.intersect1d(train, val)) == 0 and len(np.union1d(train, val)) == 60_000
    again, other = validation_split(60_000, seed=1)[1], validation_split(60_000, seed=2)[1]
    assert np.array_equal(val, again) and not np.array_equal(val, other)
    assert len(validation_split(600, seed=0)[1]) == 60  # a tenth of a small run


def test_missing_files_offline_are_one_line_saying_where_to_put_them(tmp_path, monkeypatch):
    """The app's F key shows this line too: short, and it says what to do."""
    monkeypatch.setattr(data, "MNIST_MIRRORS", ("http://127.0.0.1:9/",))  # nothing listens
    with pytest.raises(DataError) as info:
        load_mnist("train", tmp_path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 150 + len(str(tmp_path))
    assert f"not in {tmp_path}" in message and "4 .gz files there" in message
    assert "--data-dir" in message and "$DIGITNET_DATA" in message


def test_data_dir_falls_back_to_environment(monkeypatch, mnist_dir):
    monkeypatch.setenv("DIGITNET_DATA", str(mnist_dir))
    images, _ = load_mnist("test")
    assert len(images) == 10_000


def _serve(folder: Path):
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_download_verifies_and_writes_files(tmp_path, monkeypatch, mnist_dir):
    mirror, good, target = tmp_path / "mirror", tmp_path / "good", tmp_path / "cache"
    mirror.mkdir()
    good.mkdir()
    for name in data.MNIST_FILES:
        (good / name).write_bytes((mnist_dir / name).read_bytes())
        (mirror / name).write_bytes(b"not mnist")
    bad_server, good_server = _serve(mirror), _serve(good)
    try:
        # the first mirror serves wrong bytes: they are rejected and the next mirror is used
        monkeypatch.setattr(data, "MNIST_MIRRORS", (
            f"http://127.0.0.1:{bad_server.server_port}/", f"http://127.0.0.1:{good_server.server_port}/"))
        images, labels = load_mnist("test", target)
    finally:
        bad_server.shutdown()
        good_server.shutdown()
    assert images.shape == (10_000, 28, 28)
    assert sorted(p.name for p in target.iterdir()) == ["t10k-images-idx3-ubyte.gz",
                                                        "t10k-labels-idx1-ubyte.gz"]


def test_unknown_split():
    with pytest.raises(DataError, match="unknown MNIST split"):
        load_mnist("validation")
