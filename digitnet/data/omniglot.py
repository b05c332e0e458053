"""Drawings that are not digits: Omniglot's handwritten characters of 50 scripts, as strokes.

`omniglot.npz` is Omniglot (Lake et al. 2015) as converted for sketch-rnn: splits `train`
(30,000 drawings), `valid` (1,000) and `test` (1,000), each drawing an int16 array of rows
(dx, dy, pen_lifted) in y-down pixels, where pen_lifted = 1 ends a stroke. The splits are
kept as given: train and valid to learn and calibrate from, test for benchmarks only. Render
them as the app draws with `digitnet.data.strokes.render_all`.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import numpy as np

from digitnet import DigitnetError
from digitnet.common.paths import DataSet, find_data

OMNIGLOT_ENV_VAR = "DIGITNET_OMNIGLOT"
OMNIGLOT_FILE = "omniglot.npz"
SPLITS = ("train", "valid", "test")
OMNIGLOT_DATA = DataSet("Omniglot", "omniglot", OMNIGLOT_FILE, OMNIGLOT_ENV_VAR)


class OmniglotError(DigitnetError):
    pass


def offsets_to_strokes(rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """sketch-rnn rows (dx, dy, pen_lifted) -> strokes of float32 (x, y) points, y down.

    Each row moves the pen by (dx, dy) from the previous point (the first from the origin); a
    row with pen_lifted = 1 is the last point of its stroke.
    """
    points = np.cumsum(rows[:, :2].astype(np.float32), axis=0)
    ends = np.flatnonzero(rows[:, 2] == 1) + 1
    return tuple(s for s in np.split(points, ends) if len(s))


def load_omniglot(
    split: str, path: str | os.PathLike | None = None, data_dir: str | os.PathLike | None = None
) -> list[tuple[np.ndarray, ...]]:
    """The drawings of one split as stroke lists (see `offsets_to_strokes`), in file order."""
    if split not in SPLITS:
        raise OmniglotError(f"unknown Omniglot split {split!r} (use {', '.join(SPLITS)})")
    path = find_data(OMNIGLOT_DATA, path, data_dir)
    drawings = _read_split(path, split)
    for index, rows in enumerate(drawings):
        _check_drawing(rows, f"{path}: {split}[{index}]")
    return [offsets_to_strokes(rows) for rows in drawings]


def _read_split(path: Path, split: str) -> np.ndarray:
    # allow_pickle: the drawings are an object array of int16 arrays; the file is trusted shared
    # data (its md5 is in ../shared/README.md), and every array is checked after loading.
    try:
        loaded = np.load(path, encoding="latin1", allow_pickle=True)
    except FileNotFoundError:
        raise OmniglotError(OMNIGLOT_DATA.not_found(path)) from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError) as e:
        raise OmniglotError(f"{path}: not a readable .npz file ({e})") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise OmniglotError(f"{path}: not an .npz archive of splits")
    with loaded:
        if split not in loaded.files:
            raise OmniglotError(
                f"{path}: no {split!r} split (found: {', '.join(loaded.files) or 'none'})"
            )
        drawings = loaded[split]
    if drawings.ndim != 1 or drawings.dtype != object or len(drawings) == 0:
        raise OmniglotError(
            f"{path}: {split!r} should be a list of drawings, "
            f"found {drawings.dtype} {drawings.shape}"
        )
    return drawings


def _check_drawing(rows: object, where: str) -> None:
    if not isinstance(rows, np.ndarray) or rows.dtype.kind not in "iu":
        raise OmniglotError(
            f"{where}: a drawing should be an integer array, found {type(rows).__name__}"
        )
    if rows.ndim != 2 or rows.shape[1] != 3 or len(rows) == 0:
        raise OmniglotError(
            f"{where}: a drawing should be rows of (dx, dy, pen_lifted), found shape {rows.shape}"
        )
    if not np.isin(rows[:, 2], (0, 1)).all():
        raise OmniglotError(f"{where}: pen_lifted must be 0 or 1")
