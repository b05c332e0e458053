"""Cut paths through a group where touching digits may part: paths from its top to its bottom
through the least ink, which may slant or bend round a stroke, found by dynamic programming
(step 4 of digitnet.reading.paper)."""

from __future__ import annotations

import math

import cv2
import numpy as np

from digitnet.reading.paper.groups import Line
from digitnet.reading.paper.junction import stroke_width
from digitnet.reading.paper.params import PAPER


def cut_paths(member: np.ndarray, line: Line) -> list[np.ndarray]:
    """Where touching digits in a group (its ink `member`) may part: paths from its top to its
    bottom through the least ink, drifting at most a column a row (PAPER.drift_cost each),
    through no more ink than PAPER.max_cut_strokes strokes' widths, leaving each side a
    digit's ink (PAPER.cut_side); in each stretch PAPER.cut_spacing digit heights wide across
    the group, the PAPER.cuts cheapest that differ from the others by a stroke's width. A path
    may slant with the writing or bend round a stroke reaching under a neighbour, which no
    straight cut separates. Found on a copy at most PAPER.dp_rows rows high (its row a few of
    the group's, so a path drifts a column every few rows at most); per path, its column in
    each row."""
    height, width = member.shape
    inset = round(PAPER.cut_inset * line.height)
    if height < 3 * PAPER.min_height or width <= 2 * inset + 2:
        return []
    scale = max(1, round(height / PAPER.dp_rows))  # rows of the group a row of the copy stands for
    small = cv2.resize(member.astype(np.float32), (width, -(-height // scale)),
                       interpolation=cv2.INTER_AREA)  # each cell: its share of ink
    totals = least_ink_totals(small * scale, PAPER.drift_cost)  # in pixels of ink
    stroke = min(stroke_width(member), stroke_width(member.T))  # slanted strokes: the less
    ends = np.arange(inset, width - inset)
    bottom = totals[-1, ends]
    lowest = cv2.erode(bottom.reshape(1, -1), np.ones((1, 3), np.uint8),
                       borderType=cv2.BORDER_REPLICATE).ravel()  # local minima
    ends = ends[(bottom <= lowest) & (bottom <= PAPER.max_cut_strokes * stroke)]
    slots = math.ceil(width / (PAPER.cut_spacing * line.height))
    ends = ends[np.argsort(totals[-1, ends], kind="stable")][:PAPER.traced * PAPER.cuts * slots]
    paths: list[np.ndarray] = []
    taken: dict[int, int] = {}  # per stretch of the group, the paths taken there
    before = np.pad(np.cumsum(member, axis=1), ((0, 0), (1, 0)))  # ink left of each column
    least = PAPER.cut_side * line.height * stroke  # a digit's ink at least: a 1
    rows = np.arange(height)
    for found in trace_back(totals, ends, PAPER.drift_cost):
        path = found[rows // scale]
        left = int(before[rows, path].sum())
        if min(left, int(before[:, -1].sum()) - left) < least:
            continue  # a flag or a serif cut off, not a digit
        where = int(path.mean() // (PAPER.cut_spacing * line.height))
        if taken.get(where, 0) < PAPER.cuts and all(np.abs(path - other).mean() >= stroke
                                              for other in paths):
            paths.append(path)
            taken[where] = taken.get(where, 0) + 1
    return paths


def least_ink_totals(cost: np.ndarray, drift: float) -> np.ndarray:
    """Per row and column, the least cost of a path from the top row down to there: each cell
    on it costs `cost`, a column's step sideways `drift` (at most one a row). float32."""
    totals = np.empty_like(cost)
    totals[0] = cost[0]
    for row in range(1, len(cost)):
        above = totals[row - 1]
        best = above.copy()
        np.minimum(best[1:], above[:-1] + drift, out=best[1:])
        np.minimum(best[:-1], above[1:] + drift, out=best[:-1])
        totals[row] = best + cost[row]
    return totals


def trace_back(totals: np.ndarray, ends: np.ndarray, drift: float) -> list[np.ndarray]:
    """The least-cost paths (least_ink_totals, with this cost of a step sideways) ending at
    these columns of the bottom row: per path, its column in each row."""
    if not len(ends):
        return []
    padded = np.pad(totals, ((0, 0), (1, 1)), constant_values=np.inf)  # no step off the sides
    paths = np.empty((len(totals), len(ends)), np.intp)
    paths[-1] = ends + 1
    steps = np.array([-1, 0, 1])
    steps_cost = np.array([drift, 0.0, drift])
    rows = np.arange(len(ends))
    for row in range(len(totals) - 1, 0, -1):
        near = paths[row][:, None] + steps
        paths[row - 1] = near[rows, np.argmin(padded[row - 1][near] + steps_cost, axis=1)]
    return list(paths.T - 1)
