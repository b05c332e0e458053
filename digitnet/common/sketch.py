"""Strokes as vectors, their rendering with an anti-aliased round brush, and a sketch: strokes
on a canvas, as the app holds them.

A stroke is a float array [K, 2] of (x, y) points in canvas units: (0, 0) is the canvas's
top-left corner, (1, 1) its bottom-right. Stored this way a drawing survives any resize of
the window losslessly, and one renderer serves the app, the benchmark and the sample store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

Stroke = np.ndarray  # [K, 2] float, canvas units
Point = tuple[float, float]  # canvas units
DEFAULT_BRUSH = 0.05  # brush diameter as a fraction of the canvas side
BRUSH_RANGE = (0.02, 0.16)  # brush diameter limits, as fractions of the canvas side
_SHIFT = 4  # fixed-point bits: OpenCV draws at 1/16-pixel precision


def brush_pixels(brush: float, side: int) -> int:
    """Brush diameter in pixels for a canvas `side` pixels wide (at least one pixel)."""
    return max(1, round(brush * side))


def render_strokes(
    strokes: Sequence[Stroke], size: tuple[int, int], brush: float = DEFAULT_BRUSH,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Draw strokes as white ink on a black uint8 canvas of size (width, height).

    Successive points are joined by lines, so fast mouse moves leave no gaps; a one-point
    stroke is a dot. The brush scales with the canvas (its shorter side).
    """
    width, height = size
    canvas = np.zeros((height, width), np.uint8) if out is None else out
    thickness = brush_pixels(brush, min(width, height))
    scale = np.array([width, height], np.float64) * (1 << _SHIFT)
    for stroke in strokes:
        points = np.round(np.asarray(stroke, np.float64).reshape(-1, 2) * scale).astype(np.int32)
        if len(points) == 1:
            radius = (thickness << _SHIFT) // 2
            cv2.circle(canvas, tuple(points[0]), radius, 255, -1, cv2.LINE_AA, _SHIFT)
        elif len(points) > 1:
            cv2.polylines(canvas, [points], False, 255, thickness, cv2.LINE_AA, _SHIFT)
    return canvas


@dataclass(frozen=True, eq=False)
class Sketch:
    """What the app holds: strokes in canvas units ((0, 0) top-left, (1, 1) bottom-right, y
    down), the canvas's (width, height) in pixels, and the brush diameter as a fraction of the
    canvas's shorter side."""

    strokes: tuple[Stroke, ...]
    size: tuple[int, int]
    brush: float

    def render(self) -> np.ndarray:
        """The canvas the app would show: white ink on black, uint8 [height, width]."""
        return render_strokes(self.strokes, self.size, self.brush)
