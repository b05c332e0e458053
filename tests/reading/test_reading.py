"""Reading drawings and images as numbers: one batch for all digits, the number they make, and
the same reading from the app's strokes as from the canvas they drew; one digit as before."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from helpers import with_reject_threshold
from shapes import CELL_DIGITS, arc

from digitnet.common.box import Box
from digitnet.common.digits import NUM_CLASSES
from digitnet.common.prediction import BLANK as BLANK_PREDICTION
from digitnet.common.prediction import SPECK, Prediction
from digitnet.common.sketch import Sketch, render_strokes
from digitnet.model.classifier import Classifier
from digitnet.reading.choice import (
    IN_NUMBER_MARGIN,
    MORE_PARTS_MARGIN,
    WIDE_FROM,
    best_way,
    part_score,
    surest_paths,
)
from digitnet.reading.grouping import group_ink
from digitnet.reading.paper.digits import find_digits
from digitnet.reading.parts import Candidate, read_parts
from digitnet.reading.preprocess import Ink, find_ink, frame_ink
from digitnet.reading.read import read_canvas, read_digit, read_sketch
from digitnet.reading.result import BLANK, DigitReading, Reading

CELL = (160, 220)  # a digit's box on the canvas, in pixels
GAP, MARGIN = 40, 40


def number_sketch(digits: Sequence[int], brush: float = 0.05,
                  extra: Sequence[np.ndarray] = ()) -> Sketch:
    """The digits drawn side by side, each in its CELL, plus `extra` strokes in pixels."""
    width = 2 * MARGIN + len(digits) * CELL[0] + (len(digits) - 1) * GAP
    size = (width, 2 * MARGIN + CELL[1])
    strokes = [shape * CELL + [MARGIN + k * (CELL[0] + GAP), MARGIN]
               for k, digit in enumerate(digits) for shape in CELL_DIGITS[digit]]
    units = tuple((np.asarray(s, np.float64) / size).astype(np.float32)
                  for s in [*strokes, *extra])
    return Sketch(units, size, brush)


def ink_of(strokes: Sequence[np.ndarray], size: tuple[int, int], brush: float = 0.05) -> Ink:
    """The ink of these strokes (in pixels) drawn alone on a canvas of this size."""
    units = [np.asarray(s, np.float64) / size for s in strokes]
    ink = find_ink(render_strokes(units, size, brush), invert=False)
    assert ink is not None
    return ink


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load()  # the shipped default weights


class ForwardCounter:
    """Counts the model's forward passes and their batch sizes."""

    def __init__(self, model: torch.nn.Module):
        self.batches: list[int] = []
        self.handle = model.register_forward_hook(
            lambda _module, inputs, _output: self.batches.append(len(inputs[0])))


def test_read_parts_reads_every_digit_in_one_batch_and_specks_not_at_all(
        classifier: Classifier) -> None:
    sketch = number_sketch([2, 0, 4])
    digits = [ink_of([s * sketch.size for s in group], sketch.size)
              for group in ([sketch.strokes[0]], [sketch.strokes[1]], sketch.strokes[2:4])]
    dot = ink_of([np.array([[300.0, 150.0]])], sketch.size)
    inks = [digits[0], dot, digits[1], digits[2]]
    counter = ForwardCounter(classifier.model)
    try:
        read = read_parts(classifier, [Candidate(ink) for ink in inks]).digits
        assert read_parts(classifier, []) == BLANK
    finally:
        counter.handle.remove()
    assert counter.batches == [3]  # one pass for the three digits; the speck is not asked
    assert [part.prediction.digit for part in read] == [2, None, 0, 4]
    assert read[1].prediction is SPECK
    for ink, part in zip(inks, read, strict=True):
        np.testing.assert_array_equal(part.image, frame_ink(ink))
        if part.prediction is not SPECK:  # batched as it reads alone, to float rounding
            alone = read_parts(classifier, [Candidate(ink)]).digits[0].prediction
            assert part.prediction.digit == alone.digit
            assert part.prediction.rejected == alone.rejected
            np.testing.assert_allclose(part.prediction.probs, alone.probs, atol=1e-5)


def test_without_reject_every_part_is_asked(classifier: Classifier) -> None:
    forced = Classifier(classifier.model, classifier.info, reject=False)
    size = (600, 300)
    inks = [ink_of([np.array([[300.0, 150.0]])], size), ink_of([CELL_DIGITS[7][0] * CELL], size)]
    read = read_parts(forced, [Candidate(ink) for ink in inks]).digits
    assert all(p.digit in range(NUM_CLASSES) and not p.rejected for p in read)


def test_a_canvas_read_as_one_digit_is_blank_or_one_part(untrained_weights: Path) -> None:
    classifier = Classifier.load(untrained_weights)
    canvas = np.zeros((300, 300), np.uint8)
    canvas[50:250, 140:160] = 255
    assert read_digit(classifier, canvas).prediction.digit is not None
    assert read_digit(classifier, np.zeros((300, 300), np.uint8)).prediction == BLANK_PREDICTION


def test_reading_a_canvas_is_the_transform_then_the_model_on_that_one_image(
        untrained_weights: Path) -> None:
    """read_digit as before numbers: bitwise the framed ink and the model's output for it
    alone."""
    classifier = Classifier.load(untrained_weights)
    canvas = np.zeros((240, 320), np.uint8)
    canvas[40:200, 150:170] = 255
    canvas[40:60, 110:170] = 255
    read = read_digit(classifier, canvas).single
    assert read is not None
    image, prediction = read.image, read.prediction
    ink = find_ink(canvas)
    assert ink is not None
    expected = frame_ink(ink)
    np.testing.assert_array_equal(image, expected)
    probs = classifier.probabilities(expected[None])[0]
    assert prediction.probs == tuple(float(p) for p in probs)
    assert prediction.digit == int(probs.argmax()) and prediction.confidence == float(probs.max())
    [again] = read_parts(classifier, [Candidate(ink)]).digits
    np.testing.assert_array_equal(again.image, image)
    assert again.prediction == prediction


def part(digit: int | None, rejected: bool = False) -> DigitReading:
    probs = (0.0,) * NUM_CLASSES
    prediction = SPECK if digit is None else Prediction(digit, 0.9, probs, rejected)
    return DigitReading(np.zeros((28, 28), np.float32), prediction, Box(0, 0, 1, 1))


def test_the_number_is_the_digits_left_to_right_or_none() -> None:
    assert Reading((part(2), part(0), part(2), part(6))).number == "2026"
    assert Reading((part(0), part(7))).number == "07"  # leading zeros are digits too
    seven = part(7)
    assert Reading((seven,)).number == "7" and Reading((seven,)).single is seven
    assert BLANK.number is None and BLANK.single is None and BLANK.rejected_parts == []
    doubtful = Reading((part(2), part(0), part(4, rejected=True), part(6)))
    assert doubtful.number is None and doubtful.rejected_parts == [2] and doubtful.single is None
    assert doubtful.digits[2].digit is None and doubtful.digits[2].prediction.digit == 4
    with_speck = Reading((part(None), part(5)))
    assert with_speck.number is None and with_speck.rejected_parts == [0]
    assert with_speck.digits[0].speck and not with_speck.digits[1].speck
    assert Reading((seven,)).prediction is seven.prediction  # read_digit's: one digit at most
    assert BLANK.prediction == BLANK_PREDICTION
    with pytest.raises(ValueError, match="2 digits have no one prediction"):
        _ = with_speck.prediction


@pytest.mark.parametrize("digit", sorted(CELL_DIGITS))
def test_one_drawn_digit_reads_exactly_as_before(classifier: Classifier, digit: int) -> None:
    """Bitwise the image and prediction read_digit gives the whole canvas, as before,
    from the strokes and from the image."""
    sketch = number_sketch([digit])
    canvas = sketch.render()
    whole = read_digit(classifier, canvas, invert=False).single
    assert whole is not None
    image, prediction = whole.image, whole.prediction
    reading = read_sketch(classifier, sketch)
    assert reading.single is not None and reading.number == str(digit)
    np.testing.assert_array_equal(reading.single.image, image)
    assert reading.single.prediction == prediction
    assert reading.single.box == find_ink(canvas, invert=False).box  # type: ignore[union-attr]
    for paper in (canvas, 255 - canvas):  # predict's path: a clean image, either polarity
        from_image = read_canvas(classifier, paper)
        assert from_image.single is not None and from_image.single.box == reading.single.box
        np.testing.assert_array_equal(from_image.single.image, image)
        assert from_image.single.prediction == prediction


@pytest.mark.parametrize("digits", [[2, 0, 4], [7, 1, 3, 0, 4, 2]])
def test_a_number_reads_the_same_from_its_strokes_and_from_its_canvas(
        classifier: Classifier, digits: list[int]) -> None:
    sketch = number_sketch(digits)
    from_strokes = read_sketch(classifier, sketch)
    canvas = sketch.render()
    number = "".join(map(str, digits))
    assert from_strokes.number == number
    for reading in (read_canvas(classifier, canvas), read_canvas(classifier, 255 - canvas)):
        assert reading.number == number  # light ink on black, or dark on white paper
        for a, b in zip(from_strokes.digits, reading.digits, strict=True):
            assert a.prediction.digit == b.prediction.digit and not b.rejected
            assert abs(a.prediction.confidence - b.prediction.confidence) < 0.05
            assert abs(a.box.left - b.box.left) <= 2 and abs(a.box.right - b.box.right) <= 2
    for k, digit in enumerate(from_strokes.digits):  # each digit's box is its own cell
        left = MARGIN + k * (CELL[0] + GAP)
        assert left - 20 <= digit.box.left and digit.box.right <= left + CELL[0] + 20


def test_a_dot_beside_the_digits_is_no_part_of_the_number(classifier: Classifier) -> None:
    between = MARGIN + CELL[0] + GAP / 2
    point = np.array([[between, MARGIN + CELL[1] - 5]])
    sketch = number_sketch([2, 7], extra=[point])
    assert read_sketch(classifier, sketch).number == "27"
    assert read_canvas(classifier, sketch.render()).number == "27"


def test_a_lone_dot_is_a_speck_as_before(classifier: Classifier) -> None:
    sketch = Sketch((np.array([[0.5, 0.5]], np.float32),), (400, 300), 0.05)
    reading = read_sketch(classifier, sketch)
    assert reading.single is not None and reading.single.speck and reading.number is None


def test_a_part_that_is_not_a_digit_makes_no_number(classifier: Classifier,
                                                    tmp_path: Path) -> None:
    """Weights whose threshold lies just above the least sure digit's confidence: that part
    (and only it) is not a digit, and the drawing is not a number."""
    sketch = number_sketch([7, 1, 3])
    confidences = [p.prediction.confidence for p in read_sketch(classifier, sketch).digits]
    least = int(np.argmin(confidences))
    threshold = float(confidences[least] + np.delete(confidences, least).min()) / 2
    assert threshold > confidences[least] and classifier.path is not None
    strict = Classifier.load(with_reject_threshold(classifier.path, threshold,
                                                   tmp_path / "strict.pt"))
    for reading in (read_sketch(strict, sketch), read_canvas(strict, sketch.render())):
        assert reading.number is None and reading.rejected_parts == [least]
        assert reading.digits[least].digit is None
        assert reading.digits[least].prediction.digit == [7, 1, 3][least]


def test_blank_and_empty_drawings_read_blank(classifier: Classifier) -> None:
    assert read_sketch(classifier, Sketch((), (400, 300), 0.05)) == BLANK
    shrunk = dataclasses.replace(number_sketch([7]), size=(0, 0))
    assert read_sketch(classifier, shrunk) == BLANK
    assert read_canvas(classifier, np.zeros((0, 0), np.uint8)) == BLANK
    assert read_canvas(classifier, np.zeros((300, 400), np.uint8)) == BLANK
    assert read_canvas(classifier, np.full((300, 400), 255, np.uint8)) == BLANK



def test_a_group_is_the_ink_of_its_strokes_alone_on_the_whole_canvas() -> None:
    """group_ink draws only around the strokes, yet finds exactly what find_ink finds on the
    whole canvas drawn with them alone: crop, mask, box, and the canvas's shape (the speck
    rule's scale), at the canvas's edges too."""
    sketch = number_sketch([2, 0, 4], brush=0.08)
    corner = np.array([[0.0, 0.0], [0.04, 0.3], [0.0, 0.6]], np.float32)  # on the left edge
    beyond = np.array([[0.97, 0.9], [1.2, 1.3]], np.float32)  # dragged off the bottom right
    strokes = [*sketch.strokes, corner, beyond]
    for group in ([0], [1], [2, 3], [4], [5], [0, 5]):
        drawn = [strokes[i] for i in group]
        alone = find_ink(render_strokes(drawn, sketch.size, sketch.brush), invert=False)
        ink = group_ink(drawn, sketch)
        assert alone is not None and ink is not None
        assert (ink.box, ink.image_shape) == (alone.box, alone.image_shape)
        np.testing.assert_array_equal(ink.crop, alone.crop)
        np.testing.assert_array_equal(ink.mask, alone.mask)
    assert group_ink([np.array([[1.5, 0.5], [1.7, 0.6]], np.float32)], sketch) is None
    assert group_ink([np.zeros((0, 2), np.float32)], sketch) is None


def digit_crop(digit: int, brush: float = 0.05) -> np.ndarray:
    """The digit drawn alone (CELL_DIGITS, in its CELL) and cropped to its ink: white on black."""
    size = (2 * CELL[0], 2 * CELL[1])
    strokes = [(shape * CELL + np.divide(CELL, 2)) / size for shape in CELL_DIGITS[digit]]
    canvas = render_strokes(strokes, size, brush)
    box = find_ink(canvas, invert=False).box  # type: ignore[union-attr]
    return canvas[box.top:box.bottom, box.left:box.right]


def written_close(digits: Sequence[int], gap: float) -> np.ndarray:
    """The digits side by side on their baseline, `gap` of their height between neighbours'
    ink (negative: they overlap and touch), on a black canvas with a 40-pixel margin."""
    crops = [digit_crop(digit) for digit in digits]
    height = max(crop.shape[0] for crop in crops)
    step = round(gap * height)
    canvas = np.zeros((height + 80, sum(c.shape[1] + step for c in crops) - step + 80), np.uint8)
    left = 40
    for crop in crops:
        region = canvas[40 + height - crop.shape[0]:40 + height, left:left + crop.shape[1]]
        np.maximum(region, crop, out=region)
        left += crop.shape[1] + step
    return canvas


@pytest.mark.parametrize("digits", [[1, 0], [1, 1], [7, 1], [1, 7], [4, 1]])
@pytest.mark.parametrize("gap", [0.05, 0.08])
def test_a_one_close_beside_a_digit_reads_as_two_digits(classifier: Classifier,
                                                        digits: list[int], gap: float) -> None:
    """"10" with a small gap (5-10 % of the height) is two digits, not one "not a digit"."""
    canvas = written_close(digits, gap)
    for image in (canvas, 255 - canvas):
        assert read_canvas(classifier, image).number == "".join(map(str, digits))


@pytest.mark.parametrize(("digits", "gap"), [([1, 0], 0.0), ([1, 2], -0.06), ([1, 7], -0.06),
                                             ([7, 1], -0.06), ([7, 3], -0.06), ([0, 4], -0.06)])
def test_touching_digits_are_cut_where_the_model_reads_two(classifier: Classifier,
                                                           digits: list[int], gap: float) -> None:
    """The shape alone keeps these touching pairs whole (one part, not a digit or misread);
    among the candidate cuts the model reads two digits, and read_canvas takes that cut."""
    canvas = written_close(digits, gap)
    assert cv2.connectedComponents(canvas)[0] == 2  # they touch: one component
    assert len(find_digits(canvas)) == 1
    reading = read_canvas(classifier, 255 - canvas)
    assert reading.number == "".join(map(str, digits))
    middles = digit_middles(digits, gap)  # cut apart (maybe along a slanted path, so that a
    for part, own, other in zip(reading.digits, middles, middles[::-1], strict=True):  # 7's
        assert part.box.left <= own < part.box.right  # bar may reach over the next digit):
        assert not part.box.left <= other < part.box.right  # each part holds its digit alone


def digit_middles(digits: Sequence[int], gap: float) -> list[float]:
    """Each digit's middle column in `written_close(digits, gap)`."""
    crops = [digit_crop(digit) for digit in digits]
    step = round(gap * max(crop.shape[0] for crop in crops))
    lefts = 40 + np.cumsum([0] + [crop.shape[1] + step for crop in crops[:-1]])
    return [float(left + crop.shape[1] / 2) for left, crop in zip(lefts, crops, strict=True)]


def test_a_digit_in_two_pieces_reads_as_one(classifier: Classifier) -> None:
    """A 0 left in two halves by a dry pen: the shape says two parts, the model one 0."""
    size = (400, 400)
    halves = [arc(200, 200, 80, 140, np.pi / 2 + 0.2, 1.5 * np.pi - 0.2, 24),
              arc(200, 200, 80, 140, -np.pi / 2 + 0.2, np.pi / 2 - 0.2, 24)]
    canvas = render_strokes([half / size for half in halves], size, 0.05)
    assert len(find_digits(canvas)) == 2
    reading = read_canvas(classifier, canvas)
    assert reading.number == "0"
    assert reading.digits[0].box == find_ink(canvas).box  # type: ignore[union-attr]


def candidate(confidence: float, width: int = 60, rejected: bool = False) -> DigitReading:
    """A candidate part as read: a digit `width` pixels wide in a line 100 pixels high."""
    prediction = Prediction(1, confidence, (0.0,) * NUM_CLASSES, rejected)
    return DigitReading(np.zeros((28, 28), np.float32), prediction, Box(0, 0, width, 100))


def test_the_chooser_finds_the_surest_path_of_each_length_through_the_parts() -> None:
    """Boundaries 0-3: per number of parts, the path whose confidences multiply to the most
    (dynamic programming); a part that is not a digit is on no path."""
    parts = {(0, 3): candidate(0.9), (0, 1): candidate(0.99), (1, 3): candidate(0.5),
             (0, 2): candidate(0.98), (2, 3): candidate(0.97), (1, 2): candidate(0.99)}
    paths = surest_paths({edge: part_score(part, 100) for edge, part in parts.items()}, 3)
    assert {count: path for count, (_, path) in paths.items()} == {
        1: [(0, 3)], 2: [(0, 2), (2, 3)], 3: [(0, 1), (1, 2), (2, 3)]}
    assert paths[3][0] == pytest.approx(2 * math.log(0.99) + math.log(0.97))
    parts[2, 3] = candidate(0.999, rejected=True)
    paths = surest_paths({edge: part_score(part, 100) for edge, part in parts.items()}, 3)
    assert {count: path for count, (_, path) in paths.items()} == {1: [(0, 3)],
                                                                 2: [(0, 1), (1, 3)]}


def test_the_shapes_way_stands_unless_another_is_surer_by_the_margin() -> None:
    """The shape saw one part (0, 3): two surer parts take it only by IN_NUMBER_MARGIN (in a
    number) or MORE_PARTS_MARGIN; a part wider than WIDE_FROM digit heights of the line counts
    less (none where the line's height is the stretch's own)."""
    def parts(whole: float, width: int = 60) -> dict[tuple[int, int], DigitReading]:
        return {(0, 3): candidate(whole, width), (0, 2): candidate(0.99),
                (2, 3): candidate(0.99)}

    for margin, number in ((IN_NUMBER_MARGIN, True), (MORE_PARTS_MARGIN, False)):
        even = math.exp(2 * math.log(0.99) - margin)  # the whole part's confidence at the margin
        assert len(best_way(parts(even + 0.01), (0, 3), 100, number)) == 1
        assert len(best_way(parts(even - 0.01), (0, 3), 100, number)) == 2
    wide = round(100 * (WIDE_FROM + 1.0))  # a sure one digit, but as wide as two
    assert len(best_way(parts(0.999, wide), (0, 3), 100, number=True)) == 2
    assert len(best_way(parts(0.999, wide), (0, 3), None, number=True)) == 1  # a flat 7 alone
    assert len(best_way(parts(0.999), (0, 3), 100, number=True)) == 1
    shape_two = {(0, 2): candidate(0.6), (2, 3): candidate(0.6), (0, 3): candidate(0.8)}
    assert len(best_way(shape_two, (0, 2, 3), 100, number=True)) == 1  # fewer parts: 0.05
