"""The ways to cut a run of close groups: its boundaries, left to right (between its groups,
at the shape's cuts and along candidate cut paths), and every part between two of them that
could be a digit, for a model to choose among (step 4 of digitnet.reading.paper)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitnet.common.box import Box
from digitnet.reading.paper.cuts import cut_paths
from digitnet.reading.paper.groups import Group, Line, one_digit, spanning
from digitnet.reading.paper.junction import split_wide
from digitnet.reading.paper.params import PAPER


@dataclass(frozen=True)
class Lattice:
    """A run of close groups with its boundaries, left to right: `sides[k]` is the ink left of
    boundary k (a bool mask over `frame`: the first empty, the last all the run's ink), each
    holding the one before it; `shape` the boundaries the shape rules cut at, `ends` those
    between its groups (0 and the last included)."""

    frame: Box  # the run's box in the image
    sides: list[np.ndarray]
    shape: tuple[int, ...]
    ends: tuple[int, ...]

    def pieces(self, height: float) -> dict[tuple[int, int], tuple[Box, np.ndarray]]:
        """The ink between each two boundaries that could be a digit of a line `height`
        pixels high (no wider than PAPER.part_width heights, at least PAPER.part_height of
        them high), and whatever they are the shape's parts, each group whole and the run
        whole (a digit the shape cut, pieces of one digit): per pair (i, j), its box and mask
        there. A cut's
        fragment less high than a digit (a loop's end, a bar, a tail) is no candidate: the
        model reads many such confidently as a "1" or a "7", splitting one digit in two."""
        kept = {*zip(self.shape, self.shape[1:], strict=False),
                 *zip(self.ends, self.ends[1:], strict=False), (0, len(self.sides) - 1)}
        found: dict[tuple[int, int], tuple[Box, np.ndarray]] = {}
        width = self.frame.width
        ink = self.sides[-1]
        rest = [np.asarray((ink & ~side).any(axis=0)) for side in self.sides]  # right of each
        firsts = [int(np.argmax(r)) if r.any() else width for r in rest]
        held = [np.asarray(side.any(axis=0)) for side in self.sides]  # ... and left of it
        lasts = [width - int(np.argmax(h[::-1])) if h.any() else 0 for h in held]
        for start in range(len(self.sides) - 1):
            too_wide = False  # a part only grows with the boundary that ends it
            for stop in range(start + 1, len(self.sides)):
                if too_wide and (start, stop) not in kept:
                    continue
                piece = self.piece(start, stop, slice(firsts[start], max(firsts[start],
                                                                         lasts[stop])))
                if piece is None:
                    continue
                box = piece[0]
                too_wide = box.width > PAPER.part_width * height
                if (start, stop) in kept or (not too_wide
                                             and box.height >= PAPER.part_height * height):
                    found[start, stop] = piece
        return {edge: found[edge] for edge in on_paths(set(found), len(self.sides) - 1)}

    def piece(self, start: int, stop: int,
              columns: slice) -> tuple[Box, np.ndarray] | None:
        """The ink between two boundaries, which lies in these columns of the frame: its tight
        box in the image and its mask there; None if it holds fewer than PAPER.min_area pixels."""
        between = self.sides[stop][:, columns] & ~self.sides[start][:, columns]
        rows, inked = np.flatnonzero(between.any(1)), np.flatnonzero(between.any(0))
        if len(rows) == 0 or np.count_nonzero(between) < PAPER.min_area:
            return None
        top, bottom, left, right = rows[0], rows[-1] + 1, inked[0], inked[-1] + 1
        box = Box(self.frame.left + columns.start + int(left), self.frame.top + int(top),
                  int(right - left), int(bottom - top))
        return box, between[top:bottom, left:right]


def on_paths(edges: set[tuple[int, int]], last: int) -> list[tuple[int, int]]:
    """The edges (boundary i to j) on some path from boundary 0 to `last`: only they can be
    part of a way to cut the ink, so only they need be read."""
    reached, leads = {0}, {last}
    for start, stop in sorted(edges):
        if start in reached:
            reached.add(stop)
    for start, stop in sorted(edges, reverse=True):
        if stop in leads:
            leads.add(start)
    return [(start, stop) for start, stop in sorted(edges)
            if start in reached and stop in leads]


def run_lattice(run: list[Group], line: Line, alone: bool) -> Lattice:
    """The run's boundaries: between its groups, and within each group where the shape rules
    cut it (split_wide; the whole run as one part if `alone` and shaped like one digit, see
    one_digit) and along its candidate cut paths (group_sides)."""
    frame = spanning(run)
    before = np.zeros((frame.height, frame.width), bool)
    sides, shape, ends, splits = [before], [0], [0], []
    for group in run:
        box = group.box
        rows = slice(box.top - frame.top, box.bottom - frame.top)
        columns = slice(box.left - frame.left, box.right - frame.left)
        member = np.isin(line.labels[box.top:box.bottom, box.left:box.right], group.labels)
        own = np.zeros_like(before)
        own[rows, columns] = member
        parts = split_wide(group, member, line.height, line.width)
        splits += parts
        cuts = [part.box.left - box.left for part in parts[1:]]
        paths = cut_paths(member, line) if box.width >= PAPER.cut_width * line.height else []
        for side, from_shape in group_sides(before, own, (rows, columns), cuts, paths):
            sides.append(side)
            if from_shape:
                shape.append(len(sides) - 1)
        before = before | own
        sides.append(before)
        shape.append(len(sides) - 1)
        ends.append(len(sides) - 1)
    if alone and len(one_digit(splits)) == 1:
        shape = [0, len(sides) - 1]
    return Lattice(frame, sides, tuple(shape), tuple(ends))


def group_sides(before: np.ndarray, own: np.ndarray, window: tuple[slice, slice],
                cuts: list[int], paths: list[np.ndarray]) -> list[tuple[np.ndarray, bool]]:
    """The sides of a group's boundaries (the ink left of each, over the run's frame; `before`
    the run's ink left of the group, `own` the group's, `window` its box in the frame), left to
    right, and whether each is one of the shape's `cuts` (columns of its box; always kept) or
    one of the candidate `paths` (a column per row of its box; kept if it differs from the
    others by PAPER.same_cut of the group's ink, and made to lie between its shape cuts)."""
    rows, columns = window
    width = own.shape[1]

    def side(path: np.ndarray) -> np.ndarray:
        left = np.zeros_like(own)
        left[rows] = np.arange(width) < (path[:, None] + columns.start)
        return before | (own & left)

    height = rows.stop - rows.start
    shape = [before, *(side(np.full(height, cut)) for cut in cuts), before | own]
    found: list[tuple[np.ndarray, bool]] = [(s, True) for s in shape[1:-1]]
    same = max(1.0, PAPER.same_cut * np.count_nonzero(own))
    kept = [*shape]
    for path in paths:
        bay = int(np.searchsorted(cuts, np.median(path), side="right"))
        candidate = (side(path) | shape[bay]) & shape[bay + 1]
        if all(np.count_nonzero(candidate ^ other) >= same for other in kept):
            kept.append(candidate)
            found.append((candidate, False))
    found.sort(key=lambda item: np.count_nonzero(item[0]))
    for k in range(1, len(found)):  # each holds the one before: no two cuts cross
        found[k] = (found[k][0] | found[k - 1][0], found[k][1])
    return found
