"""What a drawing or an image reads as: per digit, left to right, the network's input, the model's
answer and where the digit lies; and the number they make.

Two ways in, one result: `read_sketch` finds the digits in the app's strokes
(digitnet.reading.grouping), `read_canvas` in any image, a canvas or a photo of paper
(digitnet.reading.segment). Either way each digit's ink goes through the one canvas transform,
and all of them through the model in one batch (Recognizer.read_inks). Each part says for
itself whether it is a digit, not a digit (below the model's threshold), or a speck (too small:
the model was not asked).
Torch-free: the recognizer is handed in, already loaded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np

from digitnet.common.box import Box
from digitnet.common.prediction import Prediction
from digitnet.common.sketch import Stroke, brush_pixels, render_strokes
from digitnet.reading.grouping import group_strokes, stroke_stretches
from digitnet.reading.paper.digits import candidate_parts
from digitnet.reading.preprocess import Ink, find_ink, to_mnist
from digitnet.reading.reject import is_speck
from digitnet.reading.stretch import Edge, Stretch

if TYPE_CHECKING:
    from digitnet.common.sketch import Sketch


class Classifier(Protocol):
    """What reading asks of a model (digitnet.model.recognizer.Recognizer is one): for each
    part of a drawing, the network's input and its answer, all parts in one batch."""

    def read_inks(self, inks: Sequence[Ink]) -> list[tuple[np.ndarray, Prediction]]: ...


@dataclass(frozen=True)
class DigitReading:
    image: np.ndarray  # [IMAGE_SIZE, IMAGE_SIZE] float in [0, 1]: what the transform made
    prediction: Prediction
    box: Box  # where the digit's ink lies in the canvas or image, in its pixels

    @property
    def rejected(self) -> bool:
        """Not a digit: a speck, or the model's top probability below its threshold."""
        return self.prediction.rejected

    @property
    def speck(self) -> bool:
        """Too small to be a digit: the model was not asked (its probabilities are all zero)."""
        return self.prediction.rejected and self.prediction.digit is None

    @property
    def digit(self) -> int | None:
        """The digit read; None when it is not a digit (`prediction.digit` is the best guess)."""
        return None if self.rejected else self.prediction.digit


@dataclass(frozen=True)
class Reading:
    digits: tuple[DigitReading, ...] = ()  # left to right; empty: nothing drawn

    @property
    def single(self) -> DigitReading | None:
        """The one digit read, or None when there is not exactly one."""
        return self.digits[0] if len(self.digits) == 1 else None

    @property
    def number(self) -> str | None:
        """The digits left to right ("2026"); None when blank or when any part is not a digit."""
        if not self.digits or any(part.rejected for part in self.digits):
            return None
        return "".join(str(part.digit) for part in self.digits)

    @property
    def least_confidence(self) -> float:
        """The least sure part's confidence, as the log and --json give a number's; 0 if
        blank."""
        return min((part.prediction.confidence for part in self.digits), default=0.0)

    @property
    def rejected_parts(self) -> list[int]:
        """The indices in `digits` of the parts that are not digits."""
        return [i for i, part in enumerate(self.digits) if part.rejected]


BLANK = Reading()
# How read_canvas chooses among the ways to cut an image's ink (best_way), all chosen on tuning
# fold 1 (bench/written_numbers.py --fold 1, weights that never learnt its writers). Another way
# than the shape's must be this much surer (the sum of its parts' `part_score`s, logs):
MORE_PARTS_MARGIN = 0.7  # ... with more parts: a single digit's halves often read as two digits
IN_NUMBER_MARGIN = 0.6  # ... with more parts, in an image the shape already sees a number in
FEWER_PARTS_MARGIN = 0.05  # ... with as many or fewer (a digit in pieces made whole)
WIDE_FROM = 0.9  # a part wider than this many digit heights is likely digits run together:
WIDE_COST = 2.0  # ... it scores this much less per digit height beyond


def network_input(canvas: np.ndarray) -> np.ndarray | None:
    """A canvas (white ink on black) through the canvas transform; None if blank or empty."""
    return to_mnist(canvas, invert=False) if canvas.size else None  # a window shrunk to nothing


def read_inks(recognizer: Classifier, inks: Sequence[Ink]) -> Reading:
    """Parts already found, left to right -> their reading (one batch through the model)."""
    read = recognizer.read_inks(inks)
    return Reading(tuple(DigitReading(image, prediction, ink.box)
                         for ink, (image, prediction) in zip(inks, read, strict=True)))


def read_sketch(recognizer: Classifier, sketch: Sketch) -> Reading:
    """The app's path: the strokes grouped into digits (`sketch_stretches`), read as
    `read_stretches` reads an image's: where grouping is unsure, the model chooses."""
    return read_stretches(recognizer, sketch_stretches(sketch))


def sketch_stretches(sketch: Sketch) -> list[Stretch[Ink]]:
    """The strokes grouped into digits (grouping.group_strokes), in stretches for a model to
    choose where that is unsure (grouping.stroke_stretches: close neighbours also as one, a
    wide group also split), each part the ink its strokes draw alone on the sketch's canvas.
    One group is the whole canvas's ink, so it reads exactly as `recognizer.read(sketch.render(),
    invert=False)` does, as before numbers. Among several groups, specks (reject.is_speck) are
    not parts, as segment leaves them out of an image: a number reads the same from its
    strokes and from its canvas."""
    if min(sketch.size) <= 0:  # a window shrunk to nothing
        return []
    groups = group_strokes(sketch.strokes, sketch.size, sketch.brush)
    inks: dict[tuple[int, ...], Ink | None] = {}
    if len(groups) == 1:
        inks[tuple(groups[0])] = find_ink(sketch.render(), invert=False)

    def ink_of(group: list[int]) -> Ink | None:
        if tuple(group) not in inks:
            inks[tuple(group)] = group_ink([sketch.strokes[i] for i in group], sketch)
        return inks[tuple(group)]

    found = [(group, ink) for group in groups if (ink := ink_of(group)) is not None]
    if len(found) > 1:  # a dot beside digits (a decimal point, a pen's first touch) is no digit
        found = [(group, ink) for group, ink in found if not is_speck(ink)] or found
    by_strokes = stroke_stretches([group for group, _ in found], sketch.strokes, sketch.size,
                                  sketch.brush)
    return [Stretch({edge: ink for edge, group in stretch.parts.items()
                     if (ink := ink_of(group)) is not None}, stretch.shape, stretch.height)
            for stretch in by_strokes]


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


def read_canvas(recognizer: Classifier, canvas: np.ndarray,
                invert: bool | None = None) -> Reading:
    """Any image (a canvas, a scan or photo of paper; invert as preprocess.to_mnist takes it):
    its digits found in the ink (segment.candidate_parts) and read, left to right (see
    `read_stretches`). `predict`'s path; the same reading as `read_sketch` for the canvas the
    strokes drew."""
    if not canvas.size:  # a window shrunk to nothing
        return BLANK
    return read_stretches(recognizer, candidate_parts(canvas, invert=invert))


def read_stretches(recognizer: Classifier, stretches: Sequence[Stretch[Ink]]) -> Reading:
    """Where the shape cannot tell whether pieces are one digit or two, or where touching
    digits part, the model chooses the way to cut (best_way). The shape's parts are read first,
    in a batch of their own (a batch's size moves the model's last bits: one digit reads to the
    bit as before numbers); the other candidates, in one more batch, only where another way
    could still win (`settled`): a number read surely costs no more than its digits."""
    number = sum(len(stretch.shape) - 1 for stretch in stretches) > 1

    def height(stretch: Stretch[Ink]) -> float | None:  # see best_way
        return stretch.height if len(stretches) > 1 else None

    read = read_batch(recognizer, [ink for s in stretches for ink in s.shape_parts])
    unsure = [s for s in stretches if not settled([read[id(ink)] for ink in s.shape_parts],
                                                  height(s), len(s.parts))]
    read.update(read_batch(recognizer, list({id(ink): ink for s in unsure
                                             for ink in s.parts.values()
                                             if id(ink) not in read}.values())))
    chosen = {id(s): best_way({edge: read[id(ink)] for edge, ink in s.parts.items()}, s.shape,
                              height(s), number) for s in unsure}
    return Reading(tuple(part for s in stretches
                         for part in chosen.get(id(s), [read[id(ink)] for ink in s.shape_parts])))


def read_batch(recognizer: Classifier, inks: Sequence[Ink]) -> dict[int, DigitReading]:
    """The inks read in one batch, by their id()."""
    return dict(zip(map(id, inks), read_inks(recognizer, inks).digits, strict=True)) \
        if inks else {}


def settled(shape: Sequence[DigitReading], height: float | None, candidates: int) -> bool:
    """True if no other way to cut a stretch can win over the shape's parts, read: there are
    none, or the shape's way scores (part_score) so near the best possible (0: every part
    sure, none wide) that no margin (best_way) can be exceeded."""
    score = sum(part_score(part, height) for part in shape)
    margin = min(FEWER_PARTS_MARGIN, IN_NUMBER_MARGIN, MORE_PARTS_MARGIN)
    return candidates == len(shape) or score + margin >= 0


def best_way(parts: Mapping[Edge, DigitReading], shape: Sequence[int], height: float | None,
             number: bool) -> list[DigitReading]:
    """The surest way (`way_score`) to cut a stretch whose candidate parts between boundaries
    i and j are `parts[i, j]`, read, into digits: a path of parts from its first boundary to
    its last. The shape's (through the boundaries `shape`) unless another is surer by
    MORE_PARTS_MARGIN if it has more parts than the shape's (IN_NUMBER_MARGIN where the image
    holds a `number`: there, wide ink is more likely two digits touching), else by
    FEWER_PARTS_MARGIN. `height`: the line's digit height, in pixels, where the image holds
    several stretches (parts wider than digits count less, part_score); None where this
    stretch is all it holds, whose height is its own (a lone wide digit, a flat 7, is one)."""
    scores = {edge: part_score(part, height) for edge, part in parts.items()}
    chosen = list(zip(shape, shape[1:], strict=False))
    shape_score = best_score = sum(scores[edge] for edge in chosen)
    more = IN_NUMBER_MARGIN if number else MORE_PARTS_MARGIN
    for count, (score, path) in surest_paths(scores, shape[-1]).items():
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
