"""When the app asks for a reading: at once when asked, and while drawing as often as readings
allow."""

from __future__ import annotations

from screen import DOWN, MOVE, UP, Screen, due, logged


def test_the_stroke_being_drawn_is_read_live_paced_by_how_long_readings_take():
    screen = Screen()
    state, drawing = screen.state, screen.state.drawing
    screen.mouse(DOWN, *screen.pixel(0.5, 0.2))
    screen.mouse(MOVE, *screen.pixel(0.5, 0.8))
    assert drawing.render((100, 100))[50, 50] == 255
    assert due(state) == "live"
    assert due(state, reader_idle=False) is None  # the reader is still busy with one
    state.schedule.asked(drawing)
    state.schedule.read(seconds=0.05, now=1.0)  # that reading took 50 ms
    assert due(state, now=2.0) is None  # nothing new drawn
    screen.mouse(MOVE, *screen.pixel(0.6, 0.8))
    assert due(state, now=1.04) is None  # as long again after it, no sooner
    assert due(state, now=1.05) == "live"
    screen.mouse(UP, *screen.pixel(0.6, 0.8))
    assert due(state, now=1.0, reader_idle=False) == "mouseup"  # never paced


def test_tick_reads_the_drawing_when_due_and_only_then():
    screen = Screen()
    state = screen.state
    state.tick(now=0.0)
    assert state.classifier.seen == [] and logged(state) == []
    screen.draw(7)
    state.tick(now=1.0)
    state.tick(now=2.0)
    assert len(state.classifier.seen) == 1
    assert [line.split()[-2] for line in logged(state)] == ["trigger=mouseup"]
