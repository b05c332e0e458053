"""Quick, Draw! doodles: 1,386 real mouse and finger drawings of 342 everyday categories.

`quickdraw.npz` packs strokes as unipen.npz does (digitnet.data.unipen.read_packed; screen pixels,
y down), with each drawing's category in `label`. Every category is "not a digit", but some
pass for one once scaled to a digit's box (the file's DATA.md lists them): `DIGIT_LIKE`. They
are neither taught as "not a digit" nor counted in the rejection benchmark's main figure.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitnet import DigitnetError
from digitnet.common.paths import DataSet, find_data
from digitnet.data.unipen import PACKED_KEYS, open_npz, read_packed

QUICKDRAW_DATA = DataSet("Quick, Draw!", "quickdraw", "quickdraw.npz", "DIGITNET_QUICKDRAW")
DIGIT_LIKE = frozenset({
    "circle", "octagon", "hexagon", "donut", "bracelet", "cookie", "hockey puck",  # 0
    "line", "baseball bat", "candle", "nail", "pencil", "crayon", "marker", "sword",  # 1
    "screwdriver", "toothbrush", "flashlight", "string bean", "feather",
    "swan", "snake", "squiggle",  # 2, 5 or S
    "diving board", "hockey stick", "boomerang", "golf club",  # 7
    "peanut", "hourglass", "dumbbell",  # 8
    "lollipop", "spoon",  # 9 or 6
    "moon", "banana",  # C or (
})


class QuickDrawError(DigitnetError):
    pass


@dataclass(frozen=True, eq=False)
class Doodles:
    """Drawings as strokes ([K, 2] float32 (x, y), y down) and each one's category."""

    strokes: list[tuple[np.ndarray, ...]]
    category: np.ndarray  # str

    def where(self, keep: np.ndarray) -> Doodles:
        chosen = np.flatnonzero(keep)
        return Doodles([self.strokes[i] for i in chosen], self.category[chosen])

    def digit_like(self) -> np.ndarray:
        """bool [N]: drawings of a category that can pass for a digit (`DIGIT_LIKE`)."""
        return np.isin(self.category, list(DIGIT_LIKE))


def load_quickdraw(path: str | os.PathLike | None = None,
                   data_dir: str | os.PathLike | None = None) -> Doodles:
    """Every drawing of quickdraw.npz (default: where digitnet.common.paths.find_data finds it)."""
    path = find_data(QUICKDRAW_DATA, path, data_dir)
    arrays = open_npz(Path(path), QUICKDRAW_DATA, QuickDrawError, (*PACKED_KEYS, "label"))
    strokes = read_packed(arrays, str(path), QuickDrawError)
    if len(arrays["label"]) != len(strokes):
        raise QuickDrawError(f"{path}: label should have one entry per drawing")
    return Doodles(strokes, arrays["label"].astype(str))
