"""Shared fixtures: the real MNIST files, and small weights files built on the spot."""

from __future__ import annotations

import dataclasses
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from digitnet.common.paths import DATA_ENV_VAR, default_mnist_dir
from digitnet.data.mnist import DataError, load_mnist
from digitnet.model.networks import create_model
from digitnet.model.weights import WeightsInfo, WeightsMetadata, load_weights, save_weights
from digitnet.reading.preprocess import TRANSFORM_VERSION

# `pytest -m "not slow and not gui"` is the quick loop while working (about a minute); the
# README's command runs everything. gui: a real window under Xvfb; slow: training, torchrun,
# the shipped weights over all of MNIST, a wheel built.
GUI_MODULES = {"test_real_window.py"}
SLOW_MODULES = {"test_distributed.py", "test_shipped_weights.py", "test_packaging.py",
                "test_train.py", "test_finetune.py", "test_evaluate.py", "test_reports.py",
                "test_mixture.py", "test_sequence.py"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in GUI_MODULES:
            item.add_marker(pytest.mark.gui)
        if item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


REPO_ROOT = Path(__file__).resolve().parent.parent


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC."""
    checksum = struct.pack(">I", zlib.crc32(kind + data))
    return struct.pack(">I", len(data)) + kind + data + checksum


def bomb_png(width: int = 65535, height: int = 65535) -> bytes:
    """A PNG of a few hundred bytes whose header claims width x height gray pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 4000, 9)
    chunks = png_chunk(b"IHDR", header) + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


class SideEffect:
    """Unpickling this creates the folder `marker`: what a hostile weights file would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def require(condition: bool, reason: str) -> None:
    """Skip on a developer's machine that lacks something; in CI, a missing prerequisite fails."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is missing a prerequisite: {reason}")
    pytest.skip(reason)


def with_reject_threshold(source: Path, threshold: float | None, out: Path) -> Path:
    """A copy of a weights file whose metadata holds this reject threshold (no training)."""
    model, info = load_weights(source)
    metadata = dataclasses.replace(info.metadata, reject_threshold=threshold)
    return save_weights(out, dataclasses.replace(info, metadata=metadata), model)


@pytest.fixture(autouse=True)
def torch_threads_restored() -> Iterator[None]:
    """A Recognizer sets torch's thread count for the process; no test leaves it changed."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """$DIGITNET_DATA, else ../shared/data/mnist beside the repo, else the user cache
    (downloading)."""
    shared = REPO_ROOT.parent / "shared" / "data" / "mnist"
    use_shared = shared.is_dir() and not os.environ.get(DATA_ENV_VAR)
    folder = default_mnist_dir(shared if use_shared else None)
    try:
        for split in ("train", "test"):
            load_mnist(split, folder)
    except DataError as e:
        require(False, str(e))
    return folder


@pytest.fixture
def untrained_weights(tmp_path: Path) -> Path:
    """A valid weights file of an untrained SimpleCNN: for flow tests that need no accuracy."""
    info = WeightsInfo("simple", {}, WeightsMetadata(transform_version=TRANSFORM_VERSION))
    return save_weights(tmp_path / "untrained.pt", info, create_model("simple"))


@pytest.fixture(scope="session")
def shipped_weights() -> Path:
    path = REPO_ROOT / "weights" / "simple.pt"
    assert path.is_file(), f"shipped weights missing: {path}"
    return path
