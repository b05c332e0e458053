"""MNIST: IDX files read and written, found on disk or downloaded, always verified."""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from digitnet import DigitnetError
from digitnet.atomic import atomic_write_bytes
from digitnet.paths import DATA_ENV_VAR, default_mnist_dir


class DataError(DigitnetError):
    pass


# IDX type codes (http://yann.lecun.com/exdb/mnist/, bottom of the page).
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60_000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10_000),
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode IDX bytes; every inconsistency is a DataError naming `name`."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{name}: not an IDX file (bad magic number)")
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{name}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(
            f"{name}: IDX header promises {expected} data bytes for shape {shape}, file has {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def encode_idx(array: np.ndarray) -> bytes:
    codes = {dt.newbyteorder("="): code for code, dt in _IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise DataError(f"IDX cannot store dtype {array.dtype}")
    code = codes[native]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=_IDX_DTYPES[code]).tobytes()


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzip-compressed (by its magic bytes) or raw."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(f"{path}: corrupt gzip data ({e})") from None
    return parse_idx(raw, str(path))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write an IDX file atomically, gzip-compressed when the name ends in .gz."""
    data = encode_idx(array)
    if str(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    return atomic_write_bytes(path, data)


def md5sum(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(name: str, folder: Path) -> Path:
    errors = []
    for mirror in MNIST_MIRRORS:
        try:
            with urllib.request.urlopen(mirror + name, timeout=30) as response:
                data = response.read()
        except OSError as e:
            errors.append(f"{mirror}: {getattr(e, 'reason', e)}")
            continue
        if hashlib.md5(data).hexdigest() != MNIST_FILES[name]:
            errors.append(f"{mirror}: checksum mismatch")
            continue
        return atomic_write_bytes(folder / name, data)
    raise DataError(
        f"MNIST is not in {folder} and could not be downloaded ({'; '.join(errors)}). "
        f"Put {', '.join(MNIST_FILES)} there, or pass --data-dir / set ${DATA_ENV_VAR}"
    )


def mnist_file(name: str, folder: Path, download: bool) -> Path:
    """The verified path of one official MNIST file (its .gz, or the raw file gunzipped)."""
    gz = folder / name
    if gz.exists():
        if md5sum(gz) != MNIST_FILES[name]:
            raise DataError(f"{gz}: checksum mismatch (corrupt or not the official MNIST file)")
        return gz
    raw = folder / name.removesuffix(".gz")
    if raw.exists():
        return raw  # integrity checked by the IDX header and the expected counts
    if not download:
        raise DataError(f"MNIST file {name} is missing in {folder} (expected: {', '.join(MNIST_FILES)})")
    return _download(name, folder)


def load_mnist(
    split: str, data_dir: str | os.PathLike | None = None, download: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 [N,28,28], labels int64 [N]) of MNIST's 'train' or 'test' split."""
    if split not in MNIST_SPLITS:
        raise DataError(f"unknown MNIST split {split!r} (use 'train' or 'test')")
    folder = default_mnist_dir(data_dir)
    images_name, labels_name, count = MNIST_SPLITS[split]
    images_path = mnist_file(images_name, folder, download)
    labels_path = mnist_file(labels_name, folder, download)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.shape != (count, 28, 28) or images.dtype != np.uint8:
        raise DataError(f"{images_path}: expected {count} uint8 images of 28x28, found {images.dtype} {images.shape}")
    if labels.shape != (count,) or labels.max(initial=0) > 9:
        raise DataError(f"{labels_path}: expected {count} labels 0-9, found shape {labels.shape}")
    return images, labels.astype(np.int64)
