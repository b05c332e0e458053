"""Omniglot's characters: loading the sketch-rnn .npz safely, as strokes, and drawing them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import shared_file

from digitnet.data.omniglot import (
    OmniglotError,
    load_omniglot,
    offsets_to_strokes,
)
from digitnet.data.strokes import APP_STYLE, render_all

# Two strokes: a vertical line (0,0)->(0,30), then a corner (10,0)->(20,0)->(20,10).
CORNER = np.array([[0, 0, 0], [0, 30, 1], [10, -30, 0], [10, 0, 0], [0, 10, 1]], np.int16)
DOT = np.array([[5, 5, 1]], np.int16)


def drawings(*arrays: np.ndarray) -> np.ndarray:
    """An object array of drawings, as the shared file stores them."""
    out = np.empty(len(arrays), dtype=object)
    for i, array in enumerate(arrays):
        out[i] = array
    return out


def write_npz(tmp_path: Path, **splits: Any) -> Path:  # Any: numpy types savez poorly
    path = tmp_path / "omniglot.npz"
    np.savez(path, **splits)
    return path


def test_offsets_become_strokes_split_at_pen_lifts() -> None:
    strokes = offsets_to_strokes(CORNER)
    assert len(strokes) == 2 and all(s.dtype == np.float32 for s in strokes)
    np.testing.assert_array_equal(strokes[0], [[0, 0], [0, 30]])
    np.testing.assert_array_equal(strokes[1], [[10, 0], [20, 0], [20, 10]])
    # a drawing whose last row does not lift the pen still ends its last stroke
    np.testing.assert_array_equal(offsets_to_strokes(CORNER[:4])[1], [[10, 0], [20, 0]])


def test_loads_each_split_as_given(tmp_path: Path) -> None:
    path = write_npz(
        tmp_path, train=drawings(CORNER, DOT), valid=drawings(DOT), test=drawings(CORNER)
    )
    train = load_omniglot("train", path)
    assert [len(d) for d in train] == [2, 1]
    np.testing.assert_array_equal(train[1][0], [[5, 5]])
    assert len(load_omniglot("test", path)) == 1


@pytest.mark.parametrize(
    "splits, message",
    [
        ({"valid": drawings(DOT)}, "no 'train' split"),
        ({"train": np.zeros((3, 3), np.int16)}, "should be a list of drawings"),
        ({"train": drawings(CORNER[:, :2].copy())}, r"train\[0\].*shape \(5, 2\)"),
        ({"train": drawings(CORNER, CORNER.astype(np.float32))}, r"train\[1\].*integer array"),
        ({"train": drawings(np.array([[1, 1, 2]], np.int16))}, "pen_lifted must be 0 or 1"),
        ({"train": drawings(np.zeros((0, 3), np.int16))}, "shape"),
    ],
)
def test_malformed_contents_are_one_clear_error(tmp_path: Path, splits: dict, message: str) -> None:
    path = write_npz(tmp_path, **splits)
    with pytest.raises(OmniglotError, match=message) as error:
        load_omniglot("train", path)
    assert str(path) in str(error.value)


def test_unreadable_files_are_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OmniglotError, match="not found.*DIGITNET_OMNIGLOT"):
        load_omniglot("train", tmp_path / "missing.npz")
    text = tmp_path / "text.npz"
    text.write_text("not an archive\n")
    with pytest.raises(OmniglotError, match="not a readable .npz"):
        load_omniglot("train", text)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(OmniglotError, match="not an .npz archive"):
        load_omniglot("train", single)
    with pytest.raises(OmniglotError, match="unknown Omniglot split"):
        load_omniglot("validation", text)


def test_characters_render_to_uint8_images(tmp_path: Path) -> None:
    path = write_npz(tmp_path, train=drawings(CORNER, DOT, CORNER))
    images = render_all(load_omniglot("train", path), APP_STYLE, seed=0)
    assert images.shape == (3, 28, 28) and images.dtype == np.uint8
    assert (images.max(axis=(1, 2)) == 255).all()


def test_the_shared_file_has_the_documented_splits() -> None:
    path = shared_file("omniglot")
    assert len(load_omniglot("valid", path)) == 1000
    test = load_omniglot("test", path)
    assert len(test) == 1000 and all(len(d) >= 1 for d in test)
