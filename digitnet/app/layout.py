"""Where each element of the app's window goes, as a pure function of the frame size.

The window is re-laid out on every resize, so the layout must work at any size and shape:
the canvas stays square (strokes are stored in canvas units, so a square canvas shows them
undistorted at every size) and the panel beside or below it arranges itself to its own shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

LINE_MIN_PX = 14  # the shortest line of text: its digits 10 px tall (app.style.MIN_TEXT_PX)
CANVAS_SHARE = 0.58  # at most this fraction of the frame's long side goes to the canvas
SUMMARY_SHARE = 0.4  # at most this fraction of a tall panel goes to the preview and readout row
TALL_PANEL = 0.6  # a panel at least this tall for its width stacks its parts
READOUT_SHARE = 1.3  # the readout is at most this many times as tall as the preview beside it
NUMBER_SHARE = 0.42  # a number's readout takes this share of the summary, its strip the rest


class Rect(NamedTuple):
    """An axis-aligned rectangle in frame pixels; never negative in size."""

    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def size(self) -> tuple[int, int]:
        return self.w, self.h

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px < self.right and self.y <= py < self.bottom

    def to_units(self, px: float, py: float) -> tuple[float, float]:
        """A frame pixel as (x, y) in units of this rectangle, clipped to it: 0..1 each."""
        u = (px - self.x) / max(self.w, 1)
        v = (py - self.y) / max(self.h, 1)
        return min(max(u, 0.0), 1.0), min(max(v, 0.0), 1.0)

    def view(self, image: np.ndarray) -> np.ndarray:
        """The part of `image` this rectangle covers (a view: writing to it draws on the image)."""
        return image[self.y : self.bottom, self.x : self.right]

    def __str__(self) -> str:
        return f"{self.x},{self.y},{self.w},{self.h}"


def rect(x: float, y: float, w: float, h: float) -> Rect:
    """A Rect with rounded coordinates; a negative size (a frame too small) becomes zero."""
    return Rect(round(x), round(y), max(round(w), 0), max(round(h), 0))


@dataclass(frozen=True)
class Layout:
    frame: tuple[int, int]  # (width, height)
    canvas: Rect  # square drawing area
    preview: Rect  # square: the 28x28 network input, scaled up
    readout: Rect  # the predicted digit and its confidence
    bars: Rect  # ten confidence bars, 0 to 9: the selected digit's
    status: Rect  # two lines: the last action's outcome (a sample saved, fine-tuning's progress)
    samples: Rect  # one line: how many samples of each digit are saved
    footer: Rect  # one or two lines: the key help

    @property
    def summary(self) -> Rect:
        """The preview and the readout together: a number's readout and strip share it."""
        return Rect(self.preview.x, self.readout.y, self.readout.right - self.preview.x,
                    self.readout.h)


@dataclass(frozen=True)
class NumberView:
    """Where a reading of `count` parts goes: one digit as ever (its preview beside its
    readout); several, the number's readout over a strip of their previews."""

    readout: Rect
    cells: tuple[Rect, ...]  # one per part, left to right: its 28x28 image and its label


def number_view(layout: Layout, count: int) -> NumberView:
    """The readout and the strip's cells for a reading of `count` parts (none: one empty cell)."""
    if count <= 1:
        return NumberView(layout.readout, (layout.preview,))
    box = layout.summary
    gap = max(2, round(0.02 * box.w))
    readout = rect(box.x, box.y, box.w, NUMBER_SHARE * box.h)
    strip_y = readout.bottom + gap
    width = (box.w - (count - 1) * gap) / count
    cells = tuple(rect(box.x + i * (width + gap), strip_y, width, box.bottom - strip_y)
                  for i in range(count))
    return NumberView(readout, cells)


def compute_layout(width: int, height: int, help_lines: int = 1) -> Layout:
    """Landscape frames put the panel right of the canvas, portrait frames put it below.

    The lines of text run along the bottom at full width in every shape: messages and key help
    are long, and only the full width keeps them legible in small windows. The status gets two
    lines, since fine-tuning's messages may need them; the key help `help_lines` (digitnet.app.frame
    asks for two where one would not fit).
    """
    short = min(width, height)
    gap = max(2, round(0.025 * short))
    line_h = min(max(LINE_MIN_PX, round(0.03 * short)), height // 10)
    spacing = gap // 2  # between lines of text
    footer_h = help_lines * line_h + (help_lines - 1) * spacing
    footer = rect(gap, height - gap - footer_h, width - 2 * gap, footer_h)
    samples = rect(gap, footer.y - spacing - line_h, width - 2 * gap, line_h)
    status_h = 2 * line_h + spacing
    status = rect(gap, samples.y - spacing - status_h, width - 2 * gap, status_h)
    content = rect(gap, gap, width - 2 * gap, status.y - 2 * gap)
    if content.w >= content.h:
        side = min(content.h, round(CANVAS_SHARE * content.w))
        canvas = rect(content.x, content.y + (content.h - side) // 2, side, side)
        panel = rect(canvas.right + gap, content.y, content.right - canvas.right - gap, content.h)
    else:
        side = min(content.w, round(CANVAS_SHARE * content.h))
        canvas = rect(content.x + (content.w - side) // 2, content.y, side, side)
        panel_h = content.bottom - canvas.bottom - gap
        panel = rect(content.x, canvas.bottom + gap, content.w, panel_h)
    parts = (canvas, *_split_panel(panel, gap), status, samples, footer)
    return Layout((width, height), *(_clip(part, width, height) for part in parts))


def _clip(part: Rect, width: int, height: int) -> Rect:
    """The part of `part` inside the frame: in frames too small for the gaps, parts shrink to
    nothing."""
    x, y = min(max(part.x, 0), width), min(max(part.y, 0), height)
    return Rect(x, y, max(min(part.right, width) - x, 0), max(min(part.bottom, height) - y, 0))


def _split_panel(panel: Rect, gap: int) -> tuple[Rect, Rect, Rect]:
    """Preview and readout side by side (the summary); the bars below it in a tall panel, beside
    it in a wide one."""
    if panel.h >= TALL_PANEL * panel.w:
        summary = rect(panel.x, panel.y, panel.w, min(panel.w / 2, SUMMARY_SHARE * panel.h))
        bars = rect(panel.x, summary.bottom + gap, panel.w, panel.bottom - summary.bottom - gap)
    else:
        summary = rect(panel.x, panel.y, min(2 * panel.h, panel.w / 2), panel.h)
        bars = rect(summary.right + gap, panel.y, panel.right - summary.right - gap, panel.h)
    side = min(summary.h, (summary.w - gap) // 2)
    preview = rect(summary.x, summary.y + (summary.h - side) // 2, side, side)
    # no taller than its preview allows: a digit and its label stay together in a wide panel
    height = min(summary.h, READOUT_SHARE * side)
    readout = rect(preview.right + gap, summary.y + (summary.h - height) / 2,
                   summary.right - preview.right - gap, height)
    return preview, readout, bars
