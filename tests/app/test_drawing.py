"""The drawing made with the mouse, through the app's own handlers: strokes in canvas units,
clipped to the canvas, logged, kept across a resize."""

from __future__ import annotations

import numpy as np
import pytest
from screen import BUTTON, DOWN, MOVE, UP, Screen, StandIn, due

from digitnet.app.frame import frame_layout
from digitnet.app.state import AppState
from digitnet.reading.preprocess import to_mnist


def test_a_drag_draws_one_stroke_in_canvas_units():
    screen = Screen()
    screen.drag([(0.2, 0.3), (0.5, 0.5), (0.8, 0.6)])
    drawing = screen.state.drawing
    assert len(drawing.strokes) == 1 and not drawing.in_stroke
    np.testing.assert_allclose(drawing.strokes[0], [(0.2, 0.3), (0.5, 0.5), (0.8, 0.6)],
                               atol=1 / 637)
    assert drawing.canvas_size == screen.layout.canvas.size
    assert due(screen.state) == "mouseup"


def test_each_finished_stroke_is_logged_with_its_points():
    screen = Screen()
    screen.drag([(0.2, 0.3), (0.5, 0.5), (0.8, 0.6)], steps=4)
    screen.mouse(DOWN, *screen.pixel(0.1, 0.1))
    screen.mouse(MOVE, *screen.pixel(0.2, 0.1), 0)  # released out of sight: ends it too
    assert screen.state.events.take() == ["stroke points=9", "stroke points=1"]


def test_mouse_positions_are_read_against_the_layout_the_event_carries():
    state = AppState(StandIn())
    small, big = frame_layout(320, 240), frame_layout(1280, 720)
    x, y = small.canvas.left + small.canvas.width // 2, small.canvas.top + small.canvas.height // 2
    state.on_mouse(DOWN, x, y, BUTTON, small)  # half-way across the small canvas
    state.on_mouse(UP, x, y, BUTTON, small)
    state.on_mouse(DOWN, x, y, BUTTON, big)  # near the big one's corner
    state.on_mouse(UP, x, y, BUTTON, big)
    (a,), (b,) = state.drawing.strokes
    assert a.tolist() == pytest.approx([0.5, 0.5], abs=0.01)
    assert b.tolist() == pytest.approx([(x - big.canvas.left) / big.canvas.width,
                                        (y - big.canvas.top) / big.canvas.height])
    assert state.drawing.canvas_size == big.canvas.size


def test_strokes_start_only_on_the_canvas_and_are_clipped_to_it():
    screen = Screen()
    canvas, drawing = screen.layout.canvas, screen.state.drawing
    screen.mouse(DOWN, canvas.right + 5, canvas.top + 5)  # on the panel
    screen.mouse(MOVE, canvas.left + 50, canvas.top + 50)
    screen.mouse(UP, canvas.left + 50, canvas.top + 50)
    assert drawing.blank
    screen.mouse(DOWN, canvas.left + 10, canvas.top + 10)
    screen.mouse(MOVE, canvas.left - 40, canvas.bottom + 40)  # off the canvas, down-left
    screen.mouse(UP, canvas.left - 40, canvas.bottom + 40)
    assert drawing.strokes[0][-1].tolist() == [0.0, 1.0]


def test_repeated_positions_add_no_points_and_a_move_without_the_button_ends_the_stroke():
    screen = Screen()
    canvas, drawing = screen.layout.canvas, screen.state.drawing
    screen.mouse(DOWN, canvas.left + 10, canvas.top + 10)
    for _ in range(3):
        screen.mouse(MOVE, canvas.left + 20, canvas.top + 10)
    assert drawing.current is not None and len(drawing.current) == 2
    screen.mouse(MOVE, canvas.left + 30, canvas.top + 10, 0)  # the release happened out of sight
    assert not drawing.in_stroke and len(drawing.strokes) == 1 and len(drawing.strokes[0]) == 2
    screen.mouse(MOVE, canvas.left + 40, canvas.top + 10, 0)  # plain hovering draws nothing
    assert len(drawing.strokes) == 1 and not drawing.in_stroke


def test_a_fast_stroke_leaves_no_gaps():
    screen = Screen()
    screen.drag([(0.1, 0.5), (0.9, 0.5)])  # two mouse events across the whole canvas
    canvas = screen.canvas()
    row, side = canvas[canvas.shape[0] // 2], canvas.shape[1]
    assert (row[round(0.1 * side) : round(0.9 * side)] == 255).all()


def test_the_drawing_survives_a_resize():
    screen = Screen((1280, 720))
    screen.draw(7, steps=5)
    big = to_mnist(screen.canvas(), invert=False)
    screen.resize((360, 640))
    small = to_mnist(screen.canvas(), invert=False)
    assert np.abs(big - small).mean() < 0.03
