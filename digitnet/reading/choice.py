"""Choosing among the ways to cut a drawing into digits: where the shape cannot tell whether
pieces are one digit or two, or where touching digits part (digitnet.reading.stretch), the
model reads the candidate parts and the surest way wins, by a margin over the shape's own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from digitnet.reading.parts import Candidate, Classifier, read_parts
from digitnet.reading.result import DigitReading, Reading
from digitnet.reading.stretch import Edge, Stretch

# How a way to cut is chosen (best_way), all chosen on tuning fold 1 (bench/written_numbers.py
# --fold 1, weights that never learnt its writers). Another way than the shape's must be this
# much surer (the sum of its parts' `part_score`s, logs):
MORE_PARTS_MARGIN = 0.7  # ... with more parts: a single digit's halves often read as two digits
IN_NUMBER_MARGIN = 0.6  # ... with more parts, in an image the shape already sees a number in
FEWER_PARTS_MARGIN = 0.05  # ... with as many or fewer (a digit in pieces made whole)
WIDE_FROM = 0.9  # a part wider than this many digit heights is likely digits run together:
WIDE_COST = 2.0  # ... it scores this much less per digit height beyond


def choose(classifier: Classifier, stretches: Sequence[Stretch[Candidate]]) -> Reading:
    """The drawing's reading: each stretch cut the surest way (best_way). The shape's parts
    are read first, in a batch of their own (a batch's size moves the model's last bits: one
    digit reads to the bit as before numbers); the other candidates, in one more batch, only
    where another way could still win (`settled`): a number read surely costs no more than its
    digits."""
    number = sum(len(stretch.boundaries) - 1 for stretch in stretches) > 1

    def height(stretch: Stretch[Candidate]) -> float | None:  # see best_way
        return stretch.height if len(stretches) > 1 else None

    read = read_batch(classifier, [part for s in stretches for part in s.shape_parts])
    unsure = [s for s in stretches if not settled([read[id(part)] for part in s.shape_parts],
                                                  height(s), len(s.parts))]
    read.update(read_batch(classifier, list({id(part): part for s in unsure
                                             for part in s.parts.values()
                                             if id(part) not in read}.values())))
    chosen = {id(s): best_way({edge: read[id(part)] for edge, part in s.parts.items()},
                              s.boundaries, height(s), number) for s in unsure}
    return Reading(tuple(digit for s in stretches
                         for digit in chosen.get(id(s), [read[id(p)] for p in s.shape_parts])))


def read_batch(classifier: Classifier, parts: Sequence[Candidate]) -> dict[int, DigitReading]:
    """The parts read in one batch, by their id()."""
    return dict(zip(map(id, parts), read_parts(classifier, parts).digits, strict=True)) \
        if parts else {}


def settled(shape: Sequence[DigitReading], height: float | None, candidates: int) -> bool:
    """True if no other way to cut a stretch can win over the shape's parts, read: there are
    none, or the shape's way scores (part_score) so near the best possible (0: every part
    sure, none wide) that no margin (best_way) can be exceeded."""
    score = sum(part_score(part, height) for part in shape)
    margin = min(FEWER_PARTS_MARGIN, IN_NUMBER_MARGIN, MORE_PARTS_MARGIN)
    return candidates == len(shape) or score + margin >= 0


def best_way(parts: Mapping[Edge, DigitReading], boundaries: Sequence[int],
             height: float | None, number: bool) -> list[DigitReading]:
    """The surest way (`way_score`) to cut a stretch whose candidate parts between boundaries
    i and j are `parts[i, j]`, read, into digits: a path of parts from its first boundary to
    its last. The shape's (through `boundaries`) unless another is surer by
    MORE_PARTS_MARGIN if it has more parts than the shape's (IN_NUMBER_MARGIN where the image
    holds a `number`: there, wide ink is more likely two digits touching), else by
    FEWER_PARTS_MARGIN. `height`: the line's digit height, in pixels, where the image holds
    several stretches (parts wider than digits count less, part_score); None where this
    stretch is all it holds, whose height is its own (a lone wide digit, a flat 7, is one)."""
    scores = {edge: part_score(part, height) for edge, part in parts.items()}
    chosen = list(zip(boundaries, boundaries[1:], strict=False))
    shape_score = best_score = sum(scores[edge] for edge in chosen)
    more = IN_NUMBER_MARGIN if number else MORE_PARTS_MARGIN
    for count, (score, path) in surest_paths(scores, boundaries[-1]).items():
        margin = more if count > len(chosen) else FEWER_PARTS_MARGIN
        if score > max(best_score, shape_score + margin):
            chosen, best_score = path, score
    return [parts[edge] for edge in chosen]


def surest_paths(scores: Mapping[Edge, float], last: int) -> dict[int, tuple[float, list[Edge]]]:
    """Per number of parts, the path of parts (edges between boundaries) from boundary 0 to
    `last` whose scores add up to the most, and that sum: dynamic programming over the
    boundaries left to right. Parts scoring -inf (not digits) are on no path."""
    into: dict[int, list[tuple[int, float]]] = {}
    for (start, stop), score in scores.items():
        if score > -math.inf:
            into.setdefault(stop, []).append((start, score))
    best: dict[tuple[int, int], tuple[float, list[Edge]]] = {(0, 0): (0.0, [])}
    for stop in range(1, last + 1):
        for start, score in into.get(stop, []):
            for (node, count), (total, path) in list(best.items()):
                key = (stop, count + 1)
                if node == start and (key not in best or total + score > best[key][0]):
                    best[key] = (total + score, [*path, (start, stop)])
    return {count: found for (node, count), found in best.items() if node == last}


def part_score(part: DigitReading, height: float | None) -> float:
    """How sure a part is a digit read right: the log of its confidence (a way's score, the sum,
    is then the log of the chance that all its parts are read right, so that fewer parts need
    less), less WIDE_COST per digit height (`height`, pixels; None: no such cost) it is wider
    than WIDE_FROM; -inf if it is not a digit."""
    if part.rejected:
        return -math.inf
    wide = 0.0 if height is None else max(0.0, part.box.width / max(height, 1.0) - WIDE_FROM)
    return math.log(max(part.prediction.confidence, 1e-12)) - WIDE_COST * wide
