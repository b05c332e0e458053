"""The panel: the readout and its label, the bars, and how a doubtful, rejected, stale or speck
reading looks."""

from __future__ import annotations

import numpy as np
import pytest
from screen import THREE, Screen, StandIn, bar_rows, by_place, part, read_now, shows, texts_drawn

from digitnet.app.layout import number_view
from digitnet.app.panel import LOADING, NOT_A_DIGIT, Readout, readout
from digitnet.app.style import ACCENT, BAR, BAR_MUTED, DOUBT, MUTED, TEXT
from digitnet.common.prediction import Prediction
from digitnet.reading.result import BLANK, Reading


def test_the_readout_of_a_blank_canvas_is_empty_or_says_the_model_is_loading():
    assert readout(BLANK) == Readout("", MUTED, "", MUTED)
    assert readout(BLANK, loading=True) == Readout("", MUTED, LOADING, MUTED)
    # a confidence as the bars give it, to the percent
    assert readout(Reading((part(Prediction(3, 0.82, THREE)),))) == Readout("3", ACCENT, "82%",
                                                                           TEXT)


@pytest.mark.parametrize("size", [(600, 900), (360, 640), (1024, 640)], ids=str)
def test_the_readout_and_its_label_and_each_strip_label_and_its_digit_stay_together(size):
    screen = Screen(size, classifier=StandIn(threshold=0.9))
    screen.draw(7)
    read_now(screen.state)
    texts = dict(texts_drawn(screen))
    symbol, label = texts["?"], texts[NOT_A_DIGIT]
    assert 0 <= label.top - symbol.bottom <= 0.5 * symbol.height
    screen = Screen(size, classifier=by_place(0.9, 0.3, 0.6))
    screen.draw_number("174")
    read_now(screen.state)
    texts = dict(texts_drawn(screen))
    for cell, text in zip(number_view(screen.layout, 3).cells, ["1 (90%)", "2 (30%)", "3 (60%)"],
                          strict=True):
        # its preview, at most as tall as wide
        image_bottom = cell.top + min(cell.width, cell.height)
        assert texts[text].top - image_bottom <= 0.25 * cell.width


def test_a_doubtful_digit_is_marked_alone_and_in_a_number():
    sure = Prediction(3, 0.82, THREE)
    unsure = Prediction(5, 0.45, (0.06,) * 5 + (0.45,) + (0.06,) * 4)
    shown = readout(Reading((part(unsure),)))
    assert shown.symbol == "5" and shown.symbol_colour == DOUBT != ACCENT
    shown = readout(Reading((part(sure), part(unsure), part(sure))))
    assert shown.symbol == "353" and shown.doubtful == (1,) and shown.label == "3 digits, 1 unsure"
    screen = Screen(classifier=by_place(0.95, 0.45, 0.95))
    screen.draw_number("174")
    read_now(screen.state, "mouseup")
    assert shows(screen.frame(), number_view(screen.layout, 3).readout, DOUBT)


def test_a_stale_reading_is_shown_muted_until_its_new_reading_comes():
    screen = Screen()
    screen.draw(7)
    screen.state.tick(0.0)
    fresh = screen.frame()
    screen.press("]")  # the brush: the ink is redrawn, its reading not yet made
    assert screen.state.stale
    stale = screen.frame()
    readout_box = number_view(screen.layout, 1).readout
    assert shows(fresh, readout_box, ACCENT) and not shows(stale, readout_box, ACCENT)
    screen.state.tick(0.0)
    assert not screen.state.stale


def test_a_rejected_reading_keeps_its_bars_muted_and_nothing_stands_out():
    shown = {}
    for name, threshold in (("digit", None), ("rejected", 0.9)):
        screen = Screen((1280, 720), StandIn(threshold=threshold))
        screen.draw(4, steps=1)
        read_now(screen.state, "mouseup")
        shown[name] = screen.frame()
    layout = screen.layout
    bars, readout_box = layout.bars, layout.readout
    digit, rejected = shown["digit"], shown["rejected"]
    # a digit: the winner's bar in the accent colour, the others' in BAR
    assert bar_rows(digit, bars, ACCENT)[3].mean() > 0.2 and shows(digit, bars, BAR)
    assert not shows(digit, bars, BAR_MUTED)
    # not a digit: every bar as long as before, all muted, no winner, nothing in the accent colour
    muted = bar_rows(rejected, bars, BAR_MUTED)
    assert muted[3].mean() > 0.2
    assert all(0 < muted[d].sum() < muted[3].sum() / 10 for d in range(10) if d != 3)
    assert not shows(rejected, bars, ACCENT) and not shows(rejected, bars, BAR)
    assert not shows(rejected, readout_box, ACCENT) and shows(rejected, readout_box, MUTED)
    # the network's input is on show in both
    assert np.array_equal(layout.preview.view(digit), layout.preview.view(rejected))


def test_a_speck_is_not_magnified_in_the_preview():
    screen = Screen((1280, 720))
    screen.drag([(0.4, 0.6)])
    read_now(screen.state, "mouseup")
    assert screen.state.reading.single.speck
    frame = screen.frame()
    assert not (screen.layout.preview.view(frame) == 255).any()  # no ink shown
    assert not shows(frame, screen.layout.bars, ACCENT) and not shows(frame, screen.layout.bars,
                                                                      BAR_MUTED)  # nothing asked
    screen.drag([(0.2, 0.2), (0.8, 0.8)])
    read_now(screen.state, "mouseup")
    assert (screen.layout.preview.view(screen.frame()) == 255).any()
