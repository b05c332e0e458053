"""Helpers several test modules share: where things are, files made on the spot (PNGs, weights,
a video of paper), and skipping what a developer's machine lacks. Fixtures are in conftest.py."""

from __future__ import annotations

import dataclasses
import os
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from shapes import NUMBER_STROKES

from digitnet.common.paths import find_data
from digitnet.common.sketch import render_strokes
from digitnet.data.sources import SOURCES
from digitnet.model.weights import load_weights, save_weights

REPO_ROOT = Path(__file__).resolve().parent.parent
LEGACY = Path(__file__).resolve().parent / "legacy"  # weights files digitnet wrote before pen data
OLD_FINETUNED = LEGACY / "finetuned-v1.pt"  # simple, width 8, seed 0; format 1: no reject threshold


def require(condition: bool, reason: str) -> None:
    """Skip on a developer's machine that lacks something; in CI, a missing prerequisite fails."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is missing a prerequisite: {reason}")
    pytest.skip(reason)


def shared_file(source: str) -> Path:
    """A registered source's file (digitnet.data.sources), found as digitnet finds it: skipped
    where this machine lacks it."""
    data = SOURCES[source].data
    assert data is not None
    path = find_data(data)
    require(path.is_file(), f"{path} not found (set DIGITNET_DATA to ../shared/data/mnist)")
    return path


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


def with_reject_threshold(source: Path, threshold: float | None, out: Path) -> Path:
    """A copy of a weights file whose metadata holds this reject threshold (no training)."""
    model, info = load_weights(source)
    metadata = dataclasses.replace(info.metadata, reject_threshold=threshold)
    return save_weights(out, dataclasses.replace(info, metadata=metadata), model)


def paper_video(path: Path, frames: int = 30, fps: float = 30.0,
                size: tuple[int, int] = (320, 240)) -> Path:
    """A video of a number written on paper (dark ink on light), shaking a little."""
    ink = render_strokes([np.array(s, np.float32) for s in NUMBER_STROKES], size, 0.03)
    paper = (235 - 0.8 * ink.astype(np.float32)).astype(np.uint8)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    for i in range(frames):
        shake = np.array([[1, 0, 4 * np.sin(i / 3)], [0, 1, 3 * np.cos(i / 4)]], np.float32)
        picture = cv2.warpAffine(paper, shake, size, borderValue=235)
        writer.write(cv2.cvtColor(picture, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path
