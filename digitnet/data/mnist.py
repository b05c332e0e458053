"""MNIST: IDX files read and written, found on disk or downloaded, always verified.

The official files are checked by checksum whether they are stored gzipped (as downloaded)
or raw (gunzipped), so a damaged or altered file never trains or scores a model silently.
"""

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
from digitnet.common.atomic import atomic_write_bytes
from digitnet.common.paths import DATA_ENV_VAR, find_mnist_dir


class DataError(DigitnetError):
    pass


# IDX type codes (http://yann.lecun.com/exdb/mnist/, bottom of the page).
_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

MNIST_FILES = {  # the official files, as downloaded: md5 of the .gz
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_RAW_MD5 = {  # the same files gunzipped, as some tools store them
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}
VALIDATION_SIZE = 5000  # training images held out to choose the exported epoch on
MNIST_SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),  # 60,000 images
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),  # 10,000
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
        raise DataError(f"{name}: IDX header promises {expected} data bytes for shape {shape}, "
                        f"file has {len(raw) - header}")
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def encode_idx(array: np.ndarray) -> bytes:
    codes = {dt.newbyteorder("="): code for code, dt in _IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise DataError(f"IDX cannot store dtype {array.dtype}")
    code = codes[native]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=_IDX_DTYPES[code]).tobytes()


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file, gzip-compressed (by its magic bytes) or raw."""
    path = Path(path)
    return parse_idx(_decompress(_read_bytes(path), path), str(path))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not a data file") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror or e})") from None


def _decompress(raw: bytes, path: Path) -> bytes:
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: corrupt gzip data ({e})") from None


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> Path:
    """Write an IDX file atomically, gzip-compressed when the name ends in .gz."""
    data = encode_idx(array)
    if str(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    return atomic_write_bytes(path, data)


def _download(name: str, folder: Path) -> Path:
    errors = []
    for mirror in MNIST_MIRRORS:
        try:
            with urllib.request.urlopen(mirror + name, timeout=30) as response:
                data = response.read()
        except OSError as e:
            errors.append(str(getattr(e, "reason", e)))
            continue
        if hashlib.md5(data).hexdigest() != MNIST_FILES[name]:
            errors.append(f"{mirror} served a file with the wrong checksum")
            continue
        return atomic_write_bytes(folder / name, data)
    raise DataError(f"MNIST is not in {folder} and could not be downloaded ({errors[-1]}): put "
                    f"its 4 .gz files there, or pass --data-dir / set ${DATA_ENV_VAR}")


def mnist_file(name: str, folder: Path, download: bool) -> Path:
    """Where one official MNIST file is: its .gz, the raw file gunzipped, or a fresh download."""
    for path in (folder / name, folder / name.removesuffix(".gz")):
        if path.exists() or path.is_symlink():
            return path
    if not download:
        raise DataError(f"MNIST file {name} is missing in {folder} "
                        f"(expected: {', '.join(MNIST_FILES)})")
    return _download(name, folder)


def read_mnist_file(name: str, folder: Path, download: bool) -> np.ndarray:
    """One official MNIST file's array, its bytes verified by checksum (gzipped or raw)."""
    path = mnist_file(name, folder, download)
    raw = _read_bytes(path)
    expected = MNIST_FILES[name] if path.name == name else MNIST_RAW_MD5[name]
    if hashlib.md5(raw).hexdigest() != expected:
        raise DataError(f"{path}: checksum mismatch (corrupt or not the official MNIST file)")
    return parse_idx(_decompress(raw, path), str(path))


def load_mnist(
    split: str, data_dir: str | os.PathLike[str] | None = None, download: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 [N, 28, 28], labels int64 [N] in 0-9) of MNIST's 'train' or 'test' split."""
    if split not in MNIST_SPLITS:
        raise DataError(f"unknown MNIST split {split!r} (use 'train' or 'test')")
    folder = find_mnist_dir(data_dir)
    if folder.exists() and not folder.is_dir():
        raise DataError(f"{folder}: not a folder (the MNIST data folder: --data-dir or "
                        f"${DATA_ENV_VAR})")
    images_name, labels_name = MNIST_SPLITS[split]  # checksums verified: shapes, labels are right
    images = read_mnist_file(images_name, folder, download)
    return images, read_mnist_file(labels_name, folder, download).astype(np.int64)


def validation_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training, validation) indices of the first `n` MNIST training images: `seed` holds out
    a tenth of them, at most VALIDATION_SIZE, to choose epochs and settings on."""
    order = np.random.default_rng(seed).permutation(n)
    size = min(VALIDATION_SIZE, n // 10)
    return order[size:], order[:size]
