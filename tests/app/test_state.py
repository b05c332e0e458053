"""Reading in the app: the drawing read as the transform makes it, specks and doubtful drawings
rejected, numbers read digit by digit, the digit being drawn selected, real models."""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import REPO_ROOT, require
from screen import (
    DIGITS,
    DOWN,
    MOVE,
    THREE,
    UP,
    Screen,
    StandIn,
    accent_row,
    by_place,
    click,
    in_slot,
    logged,
    read_now,
    shows,
)

from digitnet.app.layout import number_view
from digitnet.app.panel import NOT_A_DIGIT, NOT_A_DIGIT_MARK, TOO_SMALL, Readout, readout
from digitnet.app.state import part_drawn
from digitnet.app.style import ACCENT, ERROR, MUTED, TEXT
from digitnet.common.box import Box
from digitnet.common.digits import NUM_CLASSES
from digitnet.common.prediction import Prediction
from digitnet.common.sketch import render_strokes
from digitnet.model.classifier import Classifier
from digitnet.reading.grouping import sketch_stretches
from digitnet.reading.preprocess import to_mnist
from digitnet.reading.result import BLANK, DigitReading, Reading

LOG_LINE = r"prediction digit={} confidence={} latency_ms=\d+\.\d trigger={}"


def test_recognition_reads_exactly_what_to_mnist_makes_of_the_drawn_canvas():
    screen = Screen()
    screen.draw(4, steps=1)
    read_now(screen.state, "mouseup")
    drawing = screen.state.drawing
    canvas = render_strokes(drawing.strokes, screen.layout.canvas.size, drawing.brush)
    expected = to_mnist(canvas, invert=False)
    (seen,) = screen.state.classifier.seen
    np.testing.assert_array_equal(seen, expected[None])
    part = screen.state.reading.single
    assert part is not None and np.array_equal(part.image, expected)
    (line,) = logged(screen.state)
    assert re.fullmatch(r"prediction digit=3 confidence=0\.820 latency_ms=\d+\.\d trigger=mouseup"
                        r" number=3", line)


def test_a_blank_canvas_is_digit_none_without_asking_the_model():
    screen = Screen()
    screen.press("s")
    read_now(screen.state)
    assert screen.state.classifier.seen == [] and screen.state.reading == BLANK
    (line,) = logged(screen.state)
    assert re.fullmatch(r"prediction digit=none confidence=0\.000 latency_ms=\d+\.\d trigger=key"
                        r" number=none", line)


def test_a_drawing_below_the_threshold_is_not_a_digit_and_the_log_says_so():
    screen = Screen(classifier=StandIn(threshold=0.9))  # the model answers 3 at 82 %
    screen.draw(7)
    read_now(screen.state, "mouseup")
    part = screen.state.reading.single
    assert part is not None and part.rejected and not part.speck and part.digit is None
    assert part.prediction.digit == 3 and part.prediction.probs == pytest.approx(THREE)
    (line,) = logged(screen.state)
    assert re.fullmatch(LOG_LINE.format("none", r"0\.820", "mouseup") + " rejected=yes number=none",
                        line)
    assert readout(screen.state.reading) == Readout("?", MUTED, NOT_A_DIGIT, TEXT)


def test_a_dot_is_a_speck_the_model_is_not_asked_about():
    screen = Screen()
    screen.drag([(0.4, 0.6)])  # a click: a one-point stroke
    read_now(screen.state, "mouseup")
    part = screen.state.reading.single
    assert part is not None and part.speck and part.rejected and part.digit is None
    assert screen.state.classifier.seen == []
    (line,) = logged(screen.state)
    assert re.fullmatch(LOG_LINE.format("none", r"0\.000", "mouseup") + " rejected=yes number=none",
                        line)
    assert readout(screen.state.reading) == Readout("?", MUTED, TOO_SMALL, TEXT)


def test_the_first_dot_of_a_stroke_never_shows_a_digit_and_the_stroke_does():
    screen = Screen()
    state = screen.state
    screen.mouse(DOWN, *screen.pixel(0.5, 0.2))
    state.tick(now=1.0)
    assert state.reading.single.speck and readout(state.reading).symbol == "?"
    screen.mouse(MOVE, *screen.pixel(0.5, 0.8))
    state.tick(now=2.0)
    assert state.reading.single.digit == 3 and readout(state.reading).symbol == "3"
    first, second = logged(state)
    assert first.endswith("trigger=live rejected=yes number=none")
    assert second.endswith("trigger=live number=3")
    assert second.startswith("prediction digit=3 ")


def test_without_rejection_a_dot_and_a_doubtful_drawing_are_read_as_digits():
    screen = Screen(classifier=StandIn(threshold=0.9, reject=False))
    screen.drag([(0.4, 0.6)])
    read_now(screen.state, "mouseup")
    screen.draw(7)
    read_now(screen.state, "mouseup")
    lines = logged(screen.state)
    assert len(lines) == 2 and all(
        re.fullmatch(LOG_LINE.format(3, r"0\.820", "mouseup") + " number=3", line)
        for line in lines)
    assert len(screen.state.classifier.seen) == 2


def test_an_untrained_model_classifies_through_the_app_path(untrained_weights):
    screen = Screen(classifier=Classifier.load(untrained_weights))
    screen.draw(7, steps=1)
    read_now(screen.state, "mouseup")
    part = screen.state.reading.single
    assert part is not None and 0 <= part.prediction.digit < NUM_CLASSES
    assert sum(part.prediction.probs) == pytest.approx(1, abs=1e-5) and part.image.shape == (28, 28)


def test_a_trained_model_reads_digits_drawn_with_the_mouse():
    weights = REPO_ROOT / "weights" / "simple.pt"
    require(weights.is_file(), f"no trained model at {weights}")
    classifier = Classifier.load(weights)
    for digit in DIGITS:
        screen = Screen((800, 600), classifier)
        screen.draw(digit, steps=4)
        read_now(screen.state, "mouseup")
        assert screen.state.reading.single.prediction.digit == digit


def test_a_number_is_read_digit_by_digit_in_one_batch_and_logged():
    screen = Screen(classifier=by_place())
    screen.draw_number("174")
    read_now(screen.state, "mouseup")
    reading = screen.state.reading
    assert [part.digit for part in reading.digits] == [1, 2, 3] and reading.number == "123"
    (batch,) = screen.state.classifier.seen  # one batch: the three digits, then the other
    stretches = sketch_stretches(screen.state.sketch())  # ways to group them a model may choose
    assert batch.shape == (sum(len(s.parts) for s in stretches), 28, 28) and len(batch) >= 3
    lefts = [part.box.left for part in reading.digits]
    assert lefts == sorted(lefts) and screen.state.read_size == screen.layout.canvas.size
    (line,) = logged(screen.state)
    assert re.fullmatch(LOG_LINE.format("none", r"0\.820", "mouseup") + " number=123", line)
    assert readout(reading, selected=2) == Readout("123", ACCENT, "3 digits", TEXT, 2)


def test_a_number_with_a_part_that_is_not_a_digit_shows_where():
    screen = Screen(classifier=by_place(0.9, 0.3, 0.8, threshold=0.5))
    screen.draw_number("174")
    read_now(screen.state, "mouseup")
    reading = screen.state.reading
    assert reading.number is None and [p.digit for p in reading.digits] == [1, None, 3]
    (line,) = logged(screen.state)
    assert re.fullmatch(LOG_LINE.format("none", r"0\.300", "mouseup") + " rejected=yes number=none",
                        line)
    shown = readout(reading, selected=2)
    assert shown.symbol == "1?3" and shown.label == NOT_A_DIGIT_MARK
    frame = screen.frame()
    view = number_view(screen.layout, 3)
    assert shows(frame, view.readout, ERROR) and shows(frame, view.readout, ACCENT)


def test_the_bars_show_the_digit_being_drawn():
    screen = Screen(classifier=by_place())
    state = screen.state
    four_arm, four_stem = DIGITS[4]
    screen.drag([in_slot(p, (0, 3)) for p in four_arm])
    screen.draw(7, place=(1, 3))
    screen.draw(1, place=(2, 3))
    read_now(state, "mouseup")
    assert state.selected == 2 and accent_row(screen.frame(), screen.layout) == 3
    # the 4's stem, drawn last, belongs to the first digit: that one is being drawn now
    screen.mouse(DOWN, *screen.pixel(*in_slot(four_stem[0], (0, 3))))
    screen.mouse(MOVE, *screen.pixel(*in_slot(four_stem[1], (0, 3))))
    read_now(state, "live")
    assert len(state.reading.digits) == 3 and state.selected == 0
    assert accent_row(screen.frame(), screen.layout) == 1
    screen.mouse(UP, *screen.pixel(*in_slot(four_stem[1], (0, 3))))
    read_now(state, "mouseup")
    assert state.selected == 0
    frame = screen.frame()
    cells = number_view(screen.layout, 3).cells
    assert shows(frame, cells[0], ACCENT) and not any(shows(frame, c, ACCENT) for c in cells[1:])


def test_the_digit_being_drawn_is_the_one_whose_box_holds_the_stroke_else_the_nearest():
    seven = Prediction(7, 0.9, (0.0,) * 7 + (0.9,) + (0.0,) * 2)
    reading = Reading(tuple(DigitReading(np.zeros((28, 28)), seven, box)
                            for box in (Box(0, 0, 50, 100), Box(40, 0, 50, 100),
                                        Box(120, 0, 40, 100))))

    def drawn_at(x: float) -> int:  # a short stroke centred at pixel (x, 50) of a 200x100 canvas
        return part_drawn(reading, np.array([[x / 200 - 0.01, 0.5], [x / 200 + 0.01, 0.5]]),
                          (200, 100))

    assert [drawn_at(x) for x in (10, 44, 46, 100, 110, 140, 199)] == [0, 0, 1, 1, 2, 2, 2]


def test_a_click_in_the_strip_selects_a_digit_until_the_drawing_changes():
    screen = Screen(classifier=by_place())
    state = screen.state
    screen.draw_number("174")
    read_now(state, "mouseup")
    cells = number_view(screen.layout, 3).cells
    version = state.version
    click(screen, cells[0])
    assert state.selected == 0 and state.version != version and len(state.drawing.strokes) == 4
    frame = screen.frame()
    assert accent_row(frame, screen.layout) == 1 and shows(frame, cells[0], ACCENT)
    assert not shows(frame, cells[2], ACCENT)
    click(screen, cells[1])
    assert state.selected == 1 and accent_row(screen.frame(), screen.layout) == 2
    click(screen, screen.layout.bars)  # not in the strip: the selection stays
    assert state.selected == 1
    screen.press("z")  # the drawing changed: the digit being drawn again
    read_now(state)
    assert state.selected == len(state.reading.digits) - 1
    click(screen, number_view(screen.layout, len(state.reading.digits)).cells[0])
    assert state.selected == 0
    screen.press("c")
    read_now(state)
    assert state.selected is None and state.reading == BLANK


def test_one_digit_looks_as_before_and_a_click_beside_it_selects_nothing():
    screen = Screen(classifier=by_place())
    screen.draw(4)
    read_now(screen.state, "mouseup")
    assert number_view(screen.layout, 1).cells == (screen.layout.preview,)
    assert number_view(screen.layout, 1).readout == screen.layout.readout
    version = screen.state.version
    click(screen, screen.layout.preview)
    assert screen.state.selected == 0 and screen.state.version == version


def test_a_trained_model_reads_a_number_drawn_with_the_mouse():
    weights = REPO_ROOT / "weights" / "simple.pt"
    require(weights.is_file(), f"no trained model at {weights}")
    screen = Screen((1024, 640), Classifier.load(weights))
    screen.draw_number("1704", steps=4)
    read_now(screen.state, "mouseup")
    assert screen.state.reading.number == "1704"
    assert logged(screen.state)[-1].endswith(" number=1704")
