"""Shared fixtures: the real MNIST files, and small weights files built on the spot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from digitnet.data import DataError, load_mnist
from digitnet.paths import default_mnist_dir
from digitnet.models import create_model
from digitnet.weights import save_weights

REPO_ROOT = Path(__file__).resolve().parent.parent


def require(condition: bool, reason: str) -> None:
    """Skip on a developer's machine that lacks something; in CI, a missing prerequisite fails."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is missing a prerequisite: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """$DIGITNET_DATA, else ../shared/data/mnist beside the repo, else the user cache (downloading)."""
    shared = REPO_ROOT.parent / "shared" / "data" / "mnist"
    folder = default_mnist_dir(shared if shared.is_dir() and not os.environ.get("DIGITNET_DATA") else None)
    try:
        for split in ("train", "test"):
            load_mnist(split, folder)
    except DataError as e:
        require(False, str(e))
    return folder


@pytest.fixture
def untrained_weights(tmp_path: Path) -> Path:
    """A valid weights file of an untrained SimpleCNN: for flow tests that need no accuracy."""
    return save_weights(tmp_path / "untrained.pt", "simple", {}, create_model("simple"), {"transform_version": 1})


@pytest.fixture(scope="session")
def shipped_weights() -> Path:
    path = REPO_ROOT / "weights" / "simple.pt"
    assert path.is_file(), f"shipped weights missing: {path}"
    return path
