"""Writers' hands: the isolated characters of one fold of the registry's sources
(digitnet.data.sources), by writer, as glyphs the string writer (digitnet.data.strings) draws
from: pen strokes, or a scan's ink coverage. Drawings that are not digits of the same fold come
with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digitnet.data.folds import NOT_A_DIGIT, Canvases, Scans, Sketches, Trajectories
from digitnet.data.sources import Lookup, load_fold

DIGIT_SOURCES = ("mnist", "cvl", "pendigits", "unipen-digits")
OTHER_SOURCES = ("unipen-letters", "omniglot", "quickdraw", "scribbles")
MNIST_HAND = 500  # MNIST names no writers: this many consecutive images stand for one
COVERED = 0.3  # coverage above which a pixel is ink, for spacing and boxes


@dataclass(frozen=True, eq=False)
class Glyph:
    """One written character: pen strokes (y down, any units), or a scan's ink coverage
    (uint8, cropped to the ink)."""

    strokes: tuple[np.ndarray, ...] | None = None
    image: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class Hand:
    """One writer's digits: per digit, the glyphs they wrote."""

    name: str  # 'source/writer'
    digits: dict[int, list[Glyph]]


@dataclass(frozen=True, eq=False)
class Hands:
    """The writers of one fold, by source, and drawings that are not digits of the same fold."""

    fold: str
    by_source: dict[str, list[Hand]]
    others: list[Glyph]
    groups: dict[str, np.ndarray]  # per source loaded, the writer (or group) of each drawing

    def writers(self) -> set[str]:
        return {hand.name for hands in self.by_source.values() for hand in hands}


def load_hands(fold: str, lookup: Lookup | None = None,
               sources: Sequence[str] = DIGIT_SOURCES,
               others: Sequence[str] = OTHER_SOURCES) -> Hands:
    """The hands of one fold of the registry's digit sources (by writer; MNIST's images in runs
    of MNIST_HAND), and the not-digit drawings of the same fold of `others`."""
    by_source: dict[str, list[Hand]] = {}
    loaded_groups: dict[str, np.ndarray] = {}
    for name in sources:
        loaded = load_fold(name, fold, lookup)
        loaded_groups[name] = loaded.groups
        glyphs = glyphs_of(loaded.drawn)
        groups = loaded.groups
        if name == "mnist":
            groups = np.array([f"{i // MNIST_HAND}" for i in range(len(glyphs))])
        hands = []
        for writer in np.unique(groups):
            mine = np.flatnonzero(groups == writer)
            digits: dict[int, list[Glyph]] = {}
            for i in mine:
                digits.setdefault(int(loaded.labels[i]), []).append(glyphs[i])
            hands.append(Hand(f"{name}/{writer}", digits))
        by_source[name] = hands
    other: list[Glyph] = []
    for name in others:
        loaded = load_fold(name, fold, lookup)
        loaded_groups[name] = loaded.groups
        other += [g for g, label in zip(glyphs_of(loaded.drawn), loaded.labels, strict=True)
                  if label == NOT_A_DIGIT]
    return Hands(fold, by_source, other, loaded_groups)


def glyphs_of(drawn: object) -> list[Glyph]:
    """A fold's drawings as glyphs: trajectories and sketches as strokes, scans as coverage."""
    if isinstance(drawn, Trajectories):
        return [Glyph(strokes=tuple(np.asarray(s, np.float32) for s in d)) for d in drawn.strokes]
    if isinstance(drawn, Sketches):
        return [Glyph(strokes=tuple(np.asarray(s, np.float32) * np.array(k.size, np.float32)
                                    for s in k.strokes)) for k in drawn.sketches]
    if isinstance(drawn, Scans):
        return [Glyph(image=scan_coverage(image, drawn.dark_ink)) for image in drawn.images]
    if isinstance(drawn, Canvases):
        raise TypeError("canvases of either polarity are no glyphs")
    raise TypeError(f"unknown drawings {type(drawn).__name__}")


def scan_coverage(image: np.ndarray, dark_ink: bool) -> np.ndarray:
    """A scanned character's ink as uint8 coverage (255: full ink), cropped to its ink: dark ink
    is measured from the scan's paper (its border's median tone) to its darkest pixel."""
    level = image.astype(np.float32)
    if dark_ink:
        paper = float(np.median(np.concatenate([level[0], level[-1], level[:, 0], level[:, -1]])))
        level = (paper - level) / max(paper - float(level.min()), 1.0) * 255
    cover = np.clip(level, 0, 255).astype(np.uint8)
    rows, cols = np.nonzero(cover > COVERED * 255)
    if not len(rows):
        return cover
    return cover[rows.min():rows.max() + 1, cols.min():cols.max() + 1].copy()
