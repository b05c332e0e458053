"""Drawing the app's frame: app state and a layout in, a BGR image out (digitnet.app.canvas
and digitnet.app.panel draw its parts, in the look of digitnet.app.style).
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from digitnet.app.canvas import draw_canvas, draw_picture
from digitnet.app.keys import help_line
from digitnet.app.layout import Layout, compute_layout, number_view
from digitnet.app.panel import (
    NO_PROBS,
    camera_readout,
    draw_bars,
    draw_readout,
    draw_strip,
    readout,
)
from digitnet.app.state import AppState
from digitnet.app.style import (
    BACKGROUND,
    ERROR,
    LINE_SCALE,
    MIN_SCALE,
    MUTED,
    TEXT,
    Colour,
    fit_lines,
    put_lines,
    text_width,
    wrap_words,
)
from digitnet.app.teaching import how_many
from digitnet.common.box import Box


def keys_help(state: AppState) -> str:
    """The key help for what is on show: the drawing's keys, or the camera's."""
    return help_line(state.watching_camera, state.watching is not None)


def frame_layout(width: int, height: int, keys: str | None = None) -> Layout:
    """The layout of a frame: the key help (`keys`, default the drawing's) gets a second line
    where one would not hold it."""
    layout = compute_layout(width, height)
    if text_width(keys or help_line(), LINE_SCALE * layout.samples.height) > layout.footer.width:
        return compute_layout(width, height, help_lines=2)
    return layout


def render_frame(state: AppState, layout: Layout) -> np.ndarray:
    """The whole window's image at the layout's frame size."""
    width, height = layout.frame
    frame = np.empty((height, width, 3), np.uint8)
    # many times faster than frame[:] = colour
    cv2.rectangle(frame, (0, 0), (width, height), BACKGROUND, -1)
    reading, selected = state.reading, state.selected
    if state.watching_camera:
        draw_picture(frame, layout.canvas, state, selected)
    else:
        draw_canvas(frame, layout.canvas, state, selected)
    view = number_view(layout, len(reading.digits))
    draw_strip(frame, view.cells, reading, selected)
    shown = camera_readout(state, selected) if state.watching_camera else \
        readout(reading, loading=state.classifier is None, selected=selected)
    if state.stale:  # of ink since taken away: muted until its new reading comes
        shown = replace(shown, symbol_colour=MUTED, label_colour=MUTED, doubtful=())
    draw_readout(frame, view.readout, shown)
    part = None if selected is None else reading.digits[selected]
    probs = part.prediction.probs if part else NO_PROBS
    draw_bars(frame, layout.bars, probs, part.digit if part else None,
              muted=part is not None and part.rejected or state.stale)
    draw_lines(frame, layout, state)
    return frame


def draw_lines(frame: np.ndarray, layout: Layout, state: AppState) -> None:
    """Status, samples per digit (once there are any), key help, in one text size (the samples
    smaller where they would not fit). A status too long for its two lines is shrunk as far as
    it stays legible, then given the lines it needs, over the panel above: it gives way to the
    next drawing."""
    line_h = layout.samples.height
    help_lines = 2 if layout.footer.height >= 2 * line_h > 0 else 1
    keys_lines, scale = fit_lines(keys_help(state), layout.footer.width, help_lines,
                                  LINE_SCALE * line_h)
    status = state.teaching.status
    if status.text:
        draw_status(frame, layout, status.text, scale, ERROR if status.error else TEXT)
    if counts := samples_line(state.teaching.counts, layout.samples.width, scale):
        counts_lines, counts_scale = fit_lines(counts, layout.samples.width, 1, scale)
        put_lines(frame, counts_lines, layout.samples, line_h, counts_scale, MUTED)
    put_lines(frame, keys_lines, layout.footer, line_h, scale, MUTED)


def draw_status(frame: np.ndarray, layout: Layout, text: str, scale: float,
                colour: Colour) -> None:
    """The status in its two lines (one line sits just above the samples), or more lines over
    what is above them where two would make it illegible."""
    box, line_h = layout.status, layout.samples.height
    spacing = box.height - 2 * line_h
    lines, fitted = fit_lines(text, box.width, 2, scale)
    if fitted < min(MIN_SCALE, scale):
        fitted = min(MIN_SCALE, scale)
        lines = wrap_words(text, box.width, fitted)
    height = len(lines) * line_h + (len(lines) - 1) * spacing
    where = Box(box.left, box.bottom - height, box.width, height)
    if len(lines) > 2:  # over the panel and canvas, on the background, until the next drawing
        cv2.rectangle(frame, (0, max(where.top - spacing, 0)), (frame.shape[1] - 1, box.bottom),
                      BACKGROUND, -1)
    put_lines(frame, lines, where, line_h, fitted, colour)


def samples_line(counts: list[int], width: int, scale: float) -> str:
    """'samples saved: 3 zeros, 1 seven', or where that is wider than `width` at `scale`,
    'samples saved: 0:3 7:1'; nothing before the first sample is saved."""
    saved = [digit for digit, count in enumerate(counts) if count]
    if not saved:
        return ""
    words = "samples saved: " + ", ".join(how_many(counts[d], d) for d in saved)
    if text_width(words, scale) <= width:
        return words
    return "samples saved: " + " ".join(f"{d}:{counts[d]}" for d in saved)
