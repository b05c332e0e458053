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
overlaps like any stroke, and one in the gap between digits stands alone, for reading to
reject as a speck (digitnet.reading.parts). The thresholds were chosen on pendigits' training
writers' multi-stroke digits composed into numbers at gaps from overlapping to wide.

Where the spans cannot settle it, a model chooses (`stroke_stretches`, their ink the candidate
parts of `sketch_stretches`, digitnet.reading.read.read_sketch's): neighbours CLOSE_GAP apart or
closer are also offered as one digit (a 4's stem drawn apart from its arm), and a group of
several strokes SPLIT_SPAN wide is also offered split between its strokes (two digits merged
because one was drawn right after the other).

A stroke with no points holds no ink: it is in no group, and the others group as if it were not
there. The app groups on every live reading, so many strokes (dots, hatching) must stay fast:
strokes whose widened spans neither overlap nor chain into each other's can never merge, so
each such cluster is merged alone, and a merge rescores only the merged group's pairs. A
cluster of more than MAX_CLUSTER strokes (hatching across the canvas) is one group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from digitnet.common.box import Box
from digitnet.common.sketch import Stroke, brush_pixels, render_strokes
from digitnet.reading.parts import Candidate
from digitnet.reading.preprocess import Ink, find_ink
from digitnet.reading.stretch import Edge, Stretch

if TYPE_CHECKING:
    from digitnet.common.sketch import Sketch

MIN_WIDTH = 0.2  # a thin stroke counts as this share of the drawing's height wide (not nested)
MERGE_OVERLAP = 0.5  # groups merge when their ink overlaps by this share of the narrower one,
FOLLOW_OVERLAP = 0.25  # or by this share when one holds the stroke drawn after one of the other's
MAX_CLUSTER = 300  # more strokes than this lying over one another are one group (hatching)
# Where a model chooses (stroke_stretches): chosen on tuning fold 1's pen numbers (pendigits
# writers 13, 14, 19, 22, 23, 29) read by weights that never learnt them:
CLOSE_GAP = 0.1  # neighbours this many drawing heights apart or closer may be one digit
ONE_DIGIT_SPAN = 1.0  # ... if together no wider than this many drawing heights
SPLIT_SPAN = 0.6  # a group of several strokes this many drawing heights wide may be two digits
SPLITS = 2  # ... offered split at this many places


def group_strokes(strokes: Sequence[Stroke], size: tuple[int, int], brush: float
                  ) -> list[list[int]]:
    """Stroke indices, one list per digit: digits left to right, each list in drawing order.

    `strokes` are in canvas units as digitnet.common.sketch holds them, `size` is the canvas's
    (width, height) in pixels and `brush` its diameter as a fraction of the shorter side.
    Strokes with no points are in no list.
    """
    ink = _StrokeInk.of(strokes, size, brush)
    if not ink.drawn:
        return []
    groups, hulls = _merge_clusters(ink.spans, MIN_WIDTH * ink.height)
    order = np.argsort(hulls.sum(axis=1), kind="stable")  # by the centre of each digit's ink
    return [[ink.drawn[i] for i in sorted(groups[k])] for k in order]


def stroke_stretches(groups: Sequence[list[int]], strokes: Sequence[Stroke],
                    size: tuple[int, int], brush: float) -> list[Stretch[list[int]]]:
    """The groups (group_strokes', left to right) in runs of neighbours no more than CLOSE_GAP
    drawing heights apart, each run a Stretch whose parts are lists of strokes and whose
    height is the drawing's, its boundaries the groups' as given. Its parts: every group; every two
    neighbours as one if together ONE_DIGIT_SPAN wide at most (a digit's strokes drawn apart:
    a 4's stem right of its arm); and each group of several strokes SPLIT_SPAN heights wide
    or wider split between its strokes at its SPLITS likeliest places (two digits whose ink
    overlaps, merged: _likely_splits)."""
    if not groups:
        return []
    ink = _StrokeInk.of(strokes, size, brush)
    runs = [[groups[0]]]
    for before, group in zip(groups, groups[1:], strict=False):
        if ink.hull(group)[0] - ink.hull(before)[1] <= CLOSE_GAP * ink.height:
            runs[-1].append(group)
        else:
            runs.append([group])
    return [_run_stretch(run, ink) for run in runs]


def sketch_stretches(sketch: Sketch) -> list[Stretch[Candidate]]:
    """The strokes grouped into digits (`group_strokes`), in stretches for a model to
    choose where that is unsure (`stroke_stretches`: close neighbours also as one, a
    wide group also split), each part the ink its strokes draw alone on the sketch's canvas.
    One group is the whole canvas's ink, so it reads exactly as `read.read_digit(classifier,
    sketch.render(), invert=False)` does, as before numbers. Among several groups, specks
    (Candidate.speck) are not parts, as the paper reader leaves them out of an image: a number reads
    the same from its strokes and from its canvas."""
    if min(sketch.size) <= 0:  # a window shrunk to nothing
        return []
    groups = group_strokes(sketch.strokes, sketch.size, sketch.brush)
    made: dict[tuple[int, ...], Candidate | None] = {}
    if len(groups) == 1:
        made[tuple(groups[0])] = _candidate(find_ink(sketch.render(), invert=False))

    def part_of(group: list[int]) -> Candidate | None:
        if tuple(group) not in made:
            made[tuple(group)] = _candidate(group_ink([sketch.strokes[i] for i in group], sketch))
        return made[tuple(group)]

    found = [(group, part) for group in groups if (part := part_of(group)) is not None]
    if len(found) > 1:  # a dot beside digits (a decimal point, a pen's first touch) is no digit
        found = [(group, part) for group, part in found if not part.speck] or found
    by_strokes = stroke_stretches([group for group, _ in found], sketch.strokes, sketch.size,
                                  sketch.brush)
    return [Stretch({edge: part for edge, group in stretch.parts.items()
                     if (part := part_of(group)) is not None}, stretch.boundaries,
                    stretch.height)
            for stretch in by_strokes]


def _candidate(ink: Ink | None) -> Candidate | None:
    return None if ink is None else Candidate(ink)


def group_ink(strokes: Sequence[Stroke], sketch: Sketch) -> Ink | None:
    """The ink `find_ink` finds on the sketch's canvas drawn with these strokes alone, drawn
    only where they lie: a few digits' worth of pixels instead of the whole window's."""
    size = np.array(sketch.size)
    points = np.concatenate([np.reshape(s, (-1, 2)) for s in strokes]) * size
    if not len(points):
        return None
    margin = brush_pixels(sketch.brush, int(size.min())) // 2 + 3  # the brush and its smoothing
    low = np.maximum(np.floor(points.min(0)).astype(int) - margin, 0)
    high = np.minimum(np.ceil(points.max(0)).astype(int) + margin, size)
    if (high <= low).any():  # wholly off the canvas
        return None
    region = np.zeros((high[1] - low[1], high[0] - low[0]), np.uint8)
    moved = [np.asarray(s, np.float64) - low / size for s in strokes]
    ink = find_ink(render_strokes(moved, sketch.size, sketch.brush, out=region), invert=False)
    if ink is None:
        return None
    box = Box(ink.box.left + int(low[0]), ink.box.top + int(low[1]), ink.box.width,
              ink.box.height)
    return replace(ink, image_shape=(sketch.size[1], sketch.size[0]), box=box)


def _run_stretch(run: list[list[int]], ink: _StrokeInk) -> Stretch[list[int]]:
    """One run of close groups as a stretch: a boundary before each group, one inside it per
    way to split it, and one after the last."""
    parts: dict[Edge, list[int]] = {}
    starts, node = [], 0
    for group in run:
        starts.append(node)
        splits = _likely_splits(group, ink)
        end = node + len(splits) + 1
        parts[node, end] = group
        for k, (left, right) in enumerate(splits, 1):
            parts[node, node + k], parts[node + k, end] = left, right
        node = end
    boundaries = (*starts, node)
    for k in range(len(run) - 1):  # two neighbours as one, if together no wider than a digit
        pair = sorted(run[k] + run[k + 1])
        low, high = ink.hull(pair)
        if high - low <= ONE_DIGIT_SPAN * ink.height:
            parts[boundaries[k], boundaries[k + 2]] = pair
    return Stretch(parts, boundaries, ink.height)


def _likely_splits(group: list[int], ink: _StrokeInk) -> list[tuple[list[int], list[int]]]:
    """The group's strokes, ordered by their centres, parted in two where the two sides'
    spans overlap least (at most SPLITS ways, none where they overlap by MERGE_OVERLAP or
    more: those are one digit however wide), if the group is SPLIT_SPAN heights wide and no
    more than MAX_CLUSTER strokes (hatching is one group)."""
    low, high = ink.hull(group)
    if not 2 <= len(group) <= MAX_CLUSTER or high - low < SPLIT_SPAN * ink.height:
        return []
    by_centre = sorted(group, key=lambda i: float(ink.span(i).sum()))
    spans = np.array([ink.span(i) for i in by_centre])
    # the hulls of the first k strokes and of the rest, for every k at once
    lefts = np.minimum.accumulate(spans[:, 0]), np.maximum.accumulate(spans[:, 1])
    rights = (np.minimum.accumulate(spans[::-1, 0])[::-1],
              np.maximum.accumulate(spans[::-1, 1])[::-1])
    shares = _overlap_shares(lefts[0][:-1], lefts[1][:-1], rights[0][1:], rights[1][1:],
                             MIN_WIDTH * ink.height)
    order = np.argsort(shares, kind="stable")[:SPLITS]
    return [(sorted(by_centre[:k + 1]), sorted(by_centre[k + 1:])) for k in order
            if shares[k] < MERGE_OVERLAP]


@dataclass(frozen=True)
class _StrokeInk:
    """The strokes' ink as grouping measures it, in pixels: each drawn stroke's horizontal span
    (its points widened by the brush's radius) and the drawing's height."""

    drawn: list[int]  # the strokes with points, by index
    spans: np.ndarray  # [len(drawn), 2] their (left, right)
    height: float  # of the lines drawn: all digits share it
    row: dict[int, int]  # each drawn stroke's row in `spans`

    @classmethod
    def of(cls, strokes: Sequence[Stroke], size: tuple[int, int], brush: float) -> _StrokeInk:
        points = [np.asarray(s, np.float64).reshape(-1, 2) * size for s in strokes]
        drawn = [i for i, p in enumerate(points) if len(p)]
        if not drawn:
            return cls([], np.zeros((0, 2)), 1.0, {})
        radius = brush_pixels(brush, min(size)) / 2
        ys = np.concatenate([points[i][:, 1] for i in drawn])
        spans = np.array([(points[i][:, 0].min() - radius, points[i][:, 0].max() + radius)
                          for i in drawn])
        return cls(drawn, spans, max(float(ys.max() - ys.min()), 1.0),
                   {stroke: k for k, stroke in enumerate(drawn)})

    def span(self, stroke: int) -> np.ndarray:
        return self.spans[self.row[stroke]]

    def hull(self, group: Sequence[int]) -> tuple[float, float]:
        """The (left, right) of the group's strokes' spans."""
        spans = self.spans[[self.row[i] for i in group]]
        return float(spans[:, 0].min()), float(spans[:, 1].max())


def _clusters(spans: np.ndarray) -> list[np.ndarray]:
    """Strokes' spans [N, 2] -> stroke indices (ascending) of each run of spans that overlap or
    touch, directly or through others: strokes of different runs never share any ink span."""
    by_left = np.argsort(spans[:, 0], kind="stable")
    reach = np.maximum.accumulate(spans[by_left, 1])
    starts = np.flatnonzero(spans[by_left[1:], 0] > reach[:-1]) + 1
    return [np.sort(run) for run in np.split(by_left, starts)]


def _merge_clusters(spans: np.ndarray, min_width: float
                    ) -> tuple[list[list[int]], np.ndarray]:
    """The groups `_merge_by_overlap` finds among all strokes, listed by their first stroke,
    and each group's span; found cluster by cluster, since a merge in one cluster changes no
    score in another, and so neither the order its pairs merge in."""
    groups: list[list[int]] = []
    for cluster in _clusters(spans):
        if len(cluster) == 1 or len(cluster) > MAX_CLUSTER:
            groups.append(cluster.tolist())
            continue
        chained = np.diff(cluster) == 1  # cluster[k + 1] drawn right after cluster[k]
        local = _merge_by_overlap(spans[cluster], chained, min_width)
        groups += [cluster[group].tolist() for group in local]
    groups.sort(key=min)
    hulls = np.array([(spans[g, 0].min(), spans[g, 1].max()) for g in groups])
    return groups, hulls


def _overlap_shares(left: np.ndarray, right: np.ndarray, lefts: np.ndarray, rights: np.ndarray,
                    min_width: float) -> np.ndarray:
    """How much of the narrower of two (left, right) spans the two share, for spans broadcast
    against each other: 0 apart or touching, 1 nested.

    The narrower counts as at least `min_width` wide unless it lies wholly within the other:
    a thin 1 stem that a neighbour's edge grazes overlaps it by little, one standing under a
    bar (a '+', a 4's stem under its arm) overlaps it fully."""
    shared = np.minimum(right, rights) - np.maximum(left, lefts)
    narrower = np.minimum(right - left, rights - lefts)
    partial = np.maximum(shared, 0.0) / np.maximum(narrower, min_width)
    return np.where(shared >= narrower, 1.0, partial)


def _merge_by_overlap(spans: np.ndarray, chained: np.ndarray, min_width: float
                      ) -> list[list[int]]:
    """Strokes' ink spans [N, 2] in drawing order -> groups of stroke indices, listed by their
    first stroke; `chained[k]`: stroke k + 1 was drawn right after stroke k.

    The two groups that most exceed their overlap threshold merge, until none does (of pairs
    that score the same, the one with the first groups). The best pair first: a stroke lying
    over two neighbours (a 5's bar reaching over the next digit) joins the one it overlaps most
    before the groups' spans grow. Groups holding strokes drawn one right after the other need
    less overlap (FOLLOW_OVERLAP)."""
    merging = _Merging.start(spans, chained, min_width)
    while True:
        row = int(np.argmax(merging.best))
        if merging.best[row] < 1:
            break
        a, b = sorted((row, int(merging.partner[row])))
        merging.merge(a, b)
    return [merging.members[k] for k in np.flatnonzero(merging.alive)]


@dataclass
class _Merging:
    """Best-pair merging's state. A group is the row of its first stroke; a merged-away row
    stays, no longer alive. Each row keeps its best score and the first group that reaches it,
    so a merge rescores only the merged row and the rows whose best it may have lowered."""

    hulls: np.ndarray  # [N, 2] each group's ink span
    follows: np.ndarray  # [N, N] the two hold strokes drawn one right after the other
    min_width: float
    members: list[list[int]]
    alive: np.ndarray  # [N] bool
    best: np.ndarray  # [N] each row's highest score against another live group
    partner: np.ndarray  # [N] the first group with that score

    @classmethod
    def start(cls, spans: np.ndarray, chained: np.ndarray, min_width: float) -> _Merging:
        """Each stroke its own group."""
        follows = np.zeros((len(spans), len(spans)), bool)
        follows[np.flatnonzero(chained), np.flatnonzero(chained) + 1] = True
        follows |= follows.T
        left, right = spans[:, :1], spans[:, 1:]
        scores = _overlap_shares(left, right, left.T, right.T, min_width) / np.where(
            follows, FOLLOW_OVERLAP, MERGE_OVERLAP)
        np.fill_diagonal(scores, -np.inf)
        return cls(spans.copy(), follows, min_width, [[i] for i in range(len(spans))],
                   np.ones(len(spans), bool), scores.max(axis=1), scores.argmax(axis=1))

    def scores(self, row: int) -> np.ndarray:
        """[N] the row's score against each live group (1 or more: the two may merge)."""
        left, right = self.hulls[:, 0], self.hulls[:, 1]
        shares = _overlap_shares(left[row], right[row], left, right, self.min_width)
        scores = shares / np.where(self.follows[row], FOLLOW_OVERLAP, MERGE_OVERLAP)
        scores[~self.alive] = -np.inf
        scores[row] = -np.inf
        return scores

    def rescore(self, row: int) -> np.ndarray:
        """The row's scores, its best and partner set afresh from them."""
        scores = self.scores(row)
        self.best[row], self.partner[row] = scores.max(), scores.argmax()
        return scores

    def merge(self, a: int, b: int) -> None:
        """Group b (a < b) joins group a."""
        self.members[a] += self.members[b]
        self.hulls[a] = min(self.hulls[a, 0], self.hulls[b, 0]), max(self.hulls[a, 1],
                                                                      self.hulls[b, 1])
        self.follows[a] |= self.follows[b]
        self.follows[:, a] |= self.follows[:, b]
        self.follows[a, a] = False
        self.alive[b], self.best[b] = False, -np.inf
        scores = self.rescore(a)
        # a's new score wins where it beats the row's best, or ties it and comes first; a row
        # whose best was a or b keeps a if a scores no lower, else only a full rescore tells
        was_ab = (self.partner == a) | (self.partner == b)
        ties = (scores == self.best) & (a < self.partner)
        wins = np.where(was_ab, scores >= self.best, (scores > self.best) | ties) & self.alive
        wins[a] = False
        self.best[wins], self.partner[wins] = scores[wins], a
        lowered = was_ab & ~wins & self.alive
        lowered[a] = False
        for row in np.flatnonzero(lowered):
            self.rescore(int(row))
