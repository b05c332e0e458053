"""The drawing being made in the app: finished strokes, the stroke being drawn, the brush, undo."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from digitnet.common.sketch import BRUSH_RANGE, DEFAULT_BRUSH, Point, Stroke, render_strokes

BRUSH_STEP = 1.25  # thinner() and thicker() divide or multiply the brush diameter by this


class Drawing:
    """The user's drawing: finished strokes, the stroke being drawn, the brush, and undo.

    It also remembers the size of the canvas it was drawn on (in pixels), since the brush's
    width in pixels and so the ink the network sees depend on it. `version` changes with
    every change to the ink; `generation` only with changes that take ink away or redraw it
    (clear, undo, the brush), so a reading of an earlier version of the same generation is a
    reading of what is still there, only not yet of the newest points.
    """

    def __init__(self, strokes: Sequence[Stroke] = (), brush: float = DEFAULT_BRUSH,
                 canvas_size: tuple[int, int] = (0, 0)):
        self.strokes: list[Stroke] = [np.asarray(s, np.float32) for s in strokes]
        self.current: list[Point] | None = None  # the stroke being drawn
        self.brush = brush
        self.canvas_size = canvas_size
        self.version = 0
        self.generation = 0
        self._finished: tuple[tuple[object, ...], np.ndarray] | None = None  # see render

    @property
    def in_stroke(self) -> bool:
        return self.current is not None

    @property
    def blank(self) -> bool:
        return not self.strokes and self.current is None

    def visible_strokes(self) -> list[Stroke]:
        """The finished strokes and the one being drawn."""
        if self.current is None:
            return self.strokes
        return [*self.strokes, np.array(self.current, np.float32)]

    def render(self, size: tuple[int, int] | None = None) -> np.ndarray:
        """White ink on black, uint8, at `size` (default: the canvas it was drawn on). The
        finished strokes are drawn once and kept: while a stroke is drawn, a frame draws that
        stroke alone over them."""
        size = size or self.canvas_size
        key = (size, self.brush, self.generation, len(self.strokes))
        if self._finished is None or self._finished[0] != key:
            self._finished = key, render_strokes(self.strokes, size, self.brush)
        canvas = self._finished[1].copy()
        if self.current is not None:
            render_strokes([np.array(self.current, np.float32)], size, self.brush, out=canvas)
        return canvas

    def begin(self, point: Point, canvas_size: tuple[int, int]) -> None:
        self.current, self.canvas_size = [point], canvas_size
        self.version += 1

    def extend(self, point: Point, canvas_size: tuple[int, int]) -> bool:
        """Add a point to the stroke being drawn; False if it adds nothing (none, or the same)."""
        if self.current is None or point == self.current[-1]:
            return False
        self.current.append(point)
        self.canvas_size = canvas_size
        self.version += 1
        return True

    def end(self) -> None:
        if self.current is not None:
            self.strokes.append(np.array(self.current, np.float32))
            self.current = None
            self.version += 1

    def undo(self) -> bool:
        """Remove the stroke being drawn, else the last one; False if there is none."""
        if self.current is not None:
            self.current = None
        elif self.strokes:
            self.strokes.pop()
        else:
            return False
        self._redrawn()
        return True

    def clear(self) -> None:
        self.strokes, self.current = [], None
        self._redrawn()

    def drop_first(self, count: int) -> None:
        """Remove the first `count` finished strokes (a saved sample's), keeping what was drawn
        after them."""
        self.strokes = self.strokes[count:]
        self._redrawn()

    def put_back(self, strokes: Sequence[Stroke]) -> None:
        """Strokes taken off by `drop_first`, back before the others (a save taken back)."""
        self.strokes = [*strokes, *self.strokes]
        self._redrawn()

    def _redrawn(self) -> None:
        """Ink taken away or redrawn: a new generation."""
        self.version += 1
        self.generation += 1

    def thinner(self) -> bool:
        return self._set_brush(self.brush / BRUSH_STEP)

    def thicker(self) -> bool:
        return self._set_brush(self.brush * BRUSH_STEP)

    def _set_brush(self, brush: float) -> bool:
        """Change the brush within BRUSH_RANGE; False if it stays as it is (at a limit)."""
        brush = min(max(brush, BRUSH_RANGE[0]), BRUSH_RANGE[1])
        if brush == self.brush:
            return False
        self.brush = brush
        self._redrawn()  # the ink the network sees is redrawn
        return True
