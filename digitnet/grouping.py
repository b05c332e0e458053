"""Strokes -> digits: which of the app's strokes make up each digit of a number.

People write a number digit after digit, left to right, but a digit's strokes need not follow
each other (a 7's bar or a 5's top drawn last, a digit squeezed in between others later), and
neighbours may touch. What holds a digit's strokes together is that they lie over one another
from left to right: a 4's stem crosses its arm, a 5's bar sits over its body. So strokes are
grouped by how much their ink overlaps horizontally, never by whether it touches (touching
neighbours touch too):

- two groups merge when their ink overlaps by MERGE_OVERLAP of the narrower one's width, or by
  FOLLOW_OVERLAP if one holds the stroke drawn right after one of the other's (a digit's
  strokes are mostly drawn together, and a 5's bar may reach far past its body); the pair
  that most exceeds its threshold merges first, so a stroke reaching over two neighbours
  joins the one it overlaps most;
- a thin stroke (a 1's stem) counts as MIN_WIDTH of the drawing's height wide, unless it lies
  wholly within the other's span: a stem that a neighbour's edge grazes overlaps it by little,
  a stem under a bar (a '+', a 4's stem under its arm) overlaps it fully.

Everything is measured in pixels, since a non-square canvas stretches canvas units. A speck
(a decimal point, a slip of the pen) is no special case: it joins a digit it lies within or
overlaps like any stroke, and one in the gap between digits stands alone, for the recognizer
to reject as a speck. The thresholds were chosen on pendigits' training writers' multi-stroke
digits composed into numbers at gaps from overlapping to wide.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from digitnet.drawing import Stroke, brush_pixels

MIN_WIDTH = 0.2  # a thin stroke counts as this share of the drawing's height wide (not nested)
MERGE_OVERLAP = 0.5  # groups merge when their ink overlaps by this share of the narrower one,
FOLLOW_OVERLAP = 0.25  # or by this share when one holds the stroke drawn after one of the other's


def group_strokes(strokes: Sequence[Stroke], size: tuple[int, int], brush: float
                  ) -> list[list[int]]:
    """Stroke indices, one list per digit: digits left to right, each list in drawing order.

    `strokes` are in canvas units as digitnet.drawing holds them, `size` is the canvas's
    (width, height) in pixels and `brush` its diameter as a fraction of the shorter side.
    """
    points = [np.asarray(s, np.float64).reshape(-1, 2) * size for s in strokes]
    if not points:
        return []
    radius = brush_pixels(brush, min(size)) / 2
    ys = np.concatenate([p[:, 1] for p in points])
    height = max(float(ys.max() - ys.min()), 1.0)  # of the lines drawn: all digits share it
    spans = np.array([(p[:, 0].min() - radius, p[:, 0].max() + radius) for p in points])
    groups, hulls = _merge_by_overlap(spans, MIN_WIDTH * height)
    order = np.argsort(hulls.sum(axis=1), kind="stable")  # by the centre of each digit's ink
    return [sorted(groups[k]) for k in order]


def _overlap_shares(spans: np.ndarray, min_width: float) -> np.ndarray:
    """[G, G]: how much of the narrower of two (left, right) spans the two share: 0 apart or
    touching, 1 nested.

    The narrower counts as at least `min_width` wide unless it lies wholly within the other:
    a thin 1 stem that a neighbour's edge grazes overlaps it by little, one standing under a
    bar (a '+', a 4's stem under its arm) overlaps it fully."""
    left, right = spans[:, 0], spans[:, 1]
    shared = np.minimum.outer(right, right) - np.maximum.outer(left, left)
    narrower = np.minimum.outer(right - left, right - left)
    partial = np.maximum(shared, 0.0) / np.maximum(narrower, min_width)
    return np.where(shared >= narrower, 1.0, partial)


def _merge_by_overlap(spans: np.ndarray, min_width: float
                      ) -> tuple[list[list[int]], np.ndarray]:
    """Strokes' ink spans [N, 2] -> groups of stroke indices and each group's span.

    The two groups that most exceed their overlap threshold merge, until none does. The best
    pair first: a stroke lying over two neighbours (a 5's bar reaching over the next digit)
    joins the one it overlaps most before the groups' spans grow. Groups holding strokes drawn
    one right after the other need less overlap (FOLLOW_OVERLAP)."""
    groups = [[i] for i in range(len(spans))]
    hulls = spans.copy()
    index = np.arange(len(spans))
    follows = np.abs(np.subtract.outer(index, index)) == 1
    while len(groups) > 1:
        score = _overlap_shares(hulls, min_width) / np.where(follows, FOLLOW_OVERLAP,
                                                               MERGE_OVERLAP)
        np.fill_diagonal(score, 0.0)
        a, b = sorted(np.unravel_index(int(score.argmax()), score.shape))
        if score[a, b] < 1:
            break
        groups[a] += groups.pop(b)
        hulls[a] = min(hulls[a, 0], hulls[b, 0]), max(hulls[a, 1], hulls[b, 1])
        follows[a] |= follows[b]
        follows[:, a] |= follows[:, b]
        follows[a, a] = False
        hulls, follows = np.delete(hulls, b, 0), np.delete(np.delete(follows, b, 0), b, 1)
    return groups, hulls
