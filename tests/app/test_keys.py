"""The app's keys, through its own key handler: undo, clear, read, brush, quit, and the one key
table that --help and the help line read."""

from __future__ import annotations

import pytest
from screen import DOWN, Screen, due, logged, read_now

from digitnet.app.keys import KEYS, help_line
from digitnet.app.window import build_parser
from digitnet.common.sketch import BRUSH_RANGE, DEFAULT_BRUSH, brush_pixels
from digitnet.reading.result import BLANK


@pytest.mark.parametrize("key", ["z", "Z", 8, 127])
def test_undo_removes_the_last_stroke(key):
    screen = Screen()
    screen.drag([(0.2, 0.2), (0.8, 0.2)])
    screen.drag([(0.5, 0.2), (0.5, 0.8)])
    screen.press(key)
    strokes = screen.state.drawing.strokes
    assert len(strokes) == 1 and strokes[0][0].tolist() == pytest.approx([0.2, 0.2], abs=0.01)
    # the prediction follows the drawing
    assert due(screen.state) == "key"
    assert logged(screen.state) == ["undo"]


def test_undo_while_drawing_drops_the_stroke_in_progress_and_undo_on_nothing_does_nothing():
    screen = Screen()
    screen.drag([(0.2, 0.2), (0.8, 0.2)])
    screen.mouse(DOWN, *screen.pixel(0.5, 0.5))
    screen.press("z")
    drawing = screen.state.drawing
    assert not drawing.in_stroke and len(drawing.strokes) == 1
    screen.press("z")
    screen.press("z")
    assert drawing.blank and logged(screen.state) == ["undo", "undo"]


@pytest.mark.parametrize("key", ["c", "C"])
def test_clear(key):
    screen = Screen()
    screen.drag([(0.2, 0.2), (0.8, 0.2)])
    read_now(screen.state, "mouseup")
    screen.press(key)
    state = screen.state
    assert state.drawing.blank and logged(state)[-1] == "clear"
    assert state.reading == BLANK  # at once: a blank canvas needs no model
    state.tick(now=0.0)
    assert state.reading == BLANK and logged(state)[-1].endswith("trigger=key number=none")


@pytest.mark.parametrize("key", ["s", "S"])
def test_s_classifies_at_any_time(key):
    screen = Screen()
    assert due(screen.state) is None
    screen.press(key)
    assert due(screen.state) == "key"


def test_brackets_change_the_brush_within_its_limits_and_the_ink_follows():
    screen = Screen()
    screen.drag([(0.5, 0.2), (0.5, 0.8)])
    drawing = screen.state.drawing
    ink = drawing.render((200, 200)).sum()
    screen.press("]")
    assert drawing.brush > DEFAULT_BRUSH and drawing.render((200, 200)).sum() > ink
    assert due(screen.state) == "key"
    side = min(screen.layout.canvas.size)
    assert logged(screen.state) == [f"brush size={drawing.brush:.4f} "
                                    f"px={brush_pixels(drawing.brush, side)}"]
    for _ in range(30):
        screen.press("[")
    assert drawing.brush == BRUSH_RANGE[0]
    logged(screen.state)
    screen.press("[")  # at the limit: nothing changes, nothing is logged
    assert logged(screen.state) == []
    for _ in range(30):
        screen.press("]")
    assert drawing.brush == BRUSH_RANGE[1]


def test_the_brush_on_a_blank_canvas_asks_for_no_reading():
    screen = Screen()
    screen.press("]")
    assert due(screen.state) is None and logged(screen.state)[0].startswith("brush ")


def test_escape_quits_and_unbound_keys_are_ignored():
    screen = Screen()
    version = screen.state.version
    for key in ["x", "q", 225, 0]:  # 225: a lone Shift under Qt
        screen.press(key)
    assert screen.state.running and screen.state.version == version
    assert logged(screen.state) == []
    screen.press(27)
    assert not screen.state.running and logged(screen.state) == ["exit"]


def test_the_apps_help_lists_exactly_the_keys_of_the_key_table():
    text = build_parser("digitnet app").format_help()
    section = text.split("\nkeys:\n", 1)[1].split("\n\n", 1)[0]
    entries = [line.split(maxsplit=1) for line in section.splitlines() if line[2] != " "]
    assert [key for key, _ in entries] == [binding.key for binding in KEYS]
    flat = " ".join(section.split())
    for binding in KEYS:
        assert f"{binding.key} {binding.explains}" in flat
    assert "then switches to the new model" not in text  # the adoption rule decides


def test_the_help_line_comes_from_the_key_table():
    line = help_line(camera=True)
    words = line.split()
    for binding in KEYS:
        assert binding.key in words and binding.does in words
    assert "[ ] brush" in line and "0-9 save" in line  # keys that do alike share one entry
    assert "D camera" not in help_line()  # without a camera, no key to switch to it
    assert help_line(watching=True) == "   ".join(
        f"{b.key} {b.watching}" for b in KEYS if b.watching)
    codes = [code for binding in KEYS for code in binding.codes]
    assert len(codes) == len(set(codes)), "a key code bound twice"
