"""The app's path lets the model choose where stroke grouping is unsure (reading.read_sketch over
grouping.stroke_stretches): a digit whose strokes lie apart reads as one, two digits whose strokes
grouping merged read as two, and a plain number costs no extra reading."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from helpers import REPO_ROOT

from digitnet.common.sketch import Sketch
from digitnet.model.classifier import Classifier
from digitnet.reading.grouping import group_strokes, sketch_stretches
from digitnet.reading.read import read_sketch

WEIGHTS = REPO_ROOT / "weights"
SIZE = (700, 300)  # digits about 220 px tall
ONE = [(80, 80), (120, 40), (120, 260)]


def sketch(*strokes: Sequence[tuple[float, float]]) -> Sketch:
    """Strokes given in pixels, in drawing order, with the app's default brush."""
    return Sketch(tuple((np.asarray(s, np.float64) / SIZE).astype(np.float32) for s in strokes),
                  SIZE, 0.05)


@pytest.fixture(scope="module", params=["improved", "simple"])
def classifier(request: pytest.FixtureRequest) -> Classifier:
    return Classifier.load(WEIGHTS / f"{request.param}.pt")


def test_a_four_whose_stem_stands_apart_from_its_arm_reads_as_one_digit(
        classifier: Classifier) -> None:
    """An L-shaped arm and a stem just right of it, drawn with a 1 in between: three groups,
    and the model reads the arm and stem together as a 4."""
    drawn = sketch([(290, 40), (230, 180), (335, 180)], ONE, [(350, 100), (350, 260)])
    assert group_strokes(drawn.strokes, drawn.size, drawn.brush) == [[1], [0], [2]]
    reading = read_sketch(classifier, drawn)
    assert reading.number == "14"
    assert reading.digits[1].box.left < 230 and reading.digits[1].box.right > 350


def test_two_digits_grouping_merged_read_as_two(classifier: Classifier) -> None:
    """A 7 drawn right after a 1, its bar starting over the 1: grouping merges them (strokes
    drawn one after the other need little overlap), the model parts them."""
    drawn = sketch(ONE, [(110, 50), (330, 50), (240, 260)])
    assert group_strokes(drawn.strokes, drawn.size, drawn.brush) == [[0, 1]]
    assert read_sketch(classifier, drawn).number == "17"


def test_digits_well_apart_are_read_once_each(classifier: Classifier) -> None:
    """No way to group them is in doubt: one part per digit, one batch."""
    drawn = sketch(ONE, [(300, 50), (420, 50), (340, 260)], [(560, 80), (600, 40), (600, 260)])
    stretches = sketch_stretches(drawn)
    assert [len(stretch.parts) for stretch in stretches] == [1, 1, 1]
    batches: list[int] = []
    handle = classifier.model.register_forward_hook(
        lambda _module, inputs, _output: batches.append(len(inputs[0])))
    try:
        assert read_sketch(classifier, drawn).number == "171"
    finally:
        handle.remove()
    assert batches == [3]
