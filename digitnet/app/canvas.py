"""The canvas: the drawing as the network reads it, or the camera's picture, with each digit's
box.
"""

from __future__ import annotations

import cv2
import numpy as np

from digitnet.app.layout import LINE_MIN_PX
from digitnet.app.state import AppState
from digitnet.app.style import (
    ACCENT,
    BAR,
    BRUSH_DOT,
    LINE_SCALE,
    MIN_SCALE,
    MUTED,
    PART_BOX,
    PART_BOX_SELECTED,
    border,
    fit_scale,
    put_text,
    text_width,
)
from digitnet.common.box import Box
from digitnet.common.sketch import brush_pixels
from digitnet.reading.result import Reading

CANVAS_HINT_LINES = ("draw a digit", "or a number")  # on an empty canvas
CANVAS_HINT = " ".join(CANVAS_HINT_LINES)


def draw_canvas(frame: np.ndarray, box: Box, state: AppState, selected: int | None) -> None:
    """The canvas as the network reads it, white on black; under the ink, faintly, a hint while
    it is empty, the boxes of a number's digits, and the brush's size in the corner."""
    if box.width == 0 or box.height == 0:
        return
    view = box.view(frame)
    view[:] = 0
    ink = state.drawing.render(box.size)
    if not ink.any():
        draw_hint(frame, box)
    elif len(state.reading.digits) > 1 and not state.stale:
        draw_part_boxes(view, state.reading, state.read_size, selected)
    draw_brush(frame, box, state.drawing.brush)
    view[:] = cv2.max(view, cv2.cvtColor(ink, cv2.COLOR_GRAY2BGR))  # np.maximum: 20x slower
    border(frame, box)


def draw_hint(frame: np.ndarray, box: Box) -> None:
    """The hint in the middle of the empty canvas: on one line, or on two where one would be
    too small to read."""
    width, line_h = box.width - box.width // 4, max(box.height // 16, LINE_MIN_PX)
    scale = fit_scale(CANVAS_HINT, width, line_h)
    lines = [CANVAS_HINT] if scale >= MIN_SCALE else list(CANVAS_HINT_LINES)
    scale = max(scale, MIN_SCALE)
    step = round(1.5 * line_h)  # room for descenders
    top = box.top + (box.height - line_h - (len(lines) - 1) * step) // 2
    for i, line in enumerate(lines):
        put_text(frame, line, Box(box.left, top + i * step, box.width, line_h), scale, MUTED,
                 align="center")


def draw_part_boxes(canvas: np.ndarray, reading: Reading, size: tuple[int, int],
                    selected: int | None) -> None:
    """Each part's box (in pixels of a canvas of `size`), scaled to this `canvas` (a view)."""
    if min(size) <= 0:
        return
    sx, sy = canvas.shape[1] / size[0], canvas.shape[0] / size[1]
    for index, part in enumerate(reading.digits):
        box = part.box
        colour = PART_BOX_SELECTED if index == selected else PART_BOX
        cv2.rectangle(canvas, (round(box.left * sx) - 2, round(box.top * sy) - 2),
                      (round(box.right * sx) + 1, round(box.bottom * sy) + 1), colour, 1)


def draw_brush(frame: np.ndarray, box: Box, brush: float) -> None:
    """A dot as wide as the brush draws, and its width in pixels, in the box's bottom-right
    corner (where the text would not be legible, the dot alone)."""
    diameter = brush_pixels(brush, min(box.size))
    label = f"brush {diameter} px"
    line_h = max(LINE_MIN_PX, round(0.035 * min(box.size)))
    margin = max(3, round(0.02 * min(box.size)))
    row_h = max(diameter, line_h)
    centre = (box.right - margin - row_h // 2, box.bottom - margin - row_h // 2)
    cv2.circle(frame, centre, diameter // 2, BRUSH_DOT, -1, cv2.LINE_AA)
    scale = LINE_SCALE * line_h
    text = Box(box.left + margin, centre[1] - line_h // 2,
               centre[0] - row_h // 2 - margin - box.left - margin, line_h)
    if text_width(label, scale) <= text.width:
        put_text(frame, label, text, scale, MUTED, align="right")


def draw_picture(frame: np.ndarray, box: Box, state: AppState, selected: int | None) -> None:
    """The camera's picture, whole, scaled to fit the canvas; over it each digit's box (the
    selected one lit) and the steady number, or "frozen" while S holds it."""
    assert state.watching is not None
    view = box.view(frame)
    view[:] = 0
    picture = state.watching.picture
    width, height = picture.size
    scale = min(box.width / width, box.height / height)
    shown = (max(1, round(width * scale)), max(1, round(height * scale)))
    x0, y0 = (box.width - shown[0]) // 2, (box.height - shown[1]) // 2
    view[y0:y0 + shown[1], x0:x0 + shown[0]] = cv2.resize(picture.image, shown,
                                                          interpolation=cv2.INTER_AREA)
    read_w = state.read_size[0] or width
    part_scale = shown[0] / read_w
    for index, part in enumerate(state.reading.digits):
        b = part.box
        cv2.rectangle(view, (x0 + round(b.left * part_scale), y0 + round(b.top * part_scale)),
                      (x0 + round(b.right * part_scale), y0 + round(b.bottom * part_scale)),
                      ACCENT if index == selected else BAR, 2 if index == selected else 1)
    line_h = max(LINE_MIN_PX, round(0.08 * min(box.size)))
    label = "frozen" if state.watching.frozen else state.watching.steady.shown or ""
    if label:
        where = Box(box.left + x0 + line_h // 2, box.top + y0 + line_h // 2, shown[0], line_h)
        put_text(frame, label, where, LINE_SCALE * line_h, ACCENT, weight=2.0)
    border(frame, box)
