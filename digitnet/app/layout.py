"""Where each element of the app's window goes, as a pure function of the frame size.

The window is re-laid out on every resize, so the layout must work at any size and shape:
the canvas stays square (strokes are stored in canvas units, so a square canvas shows them
undistorted at every size) and the panel beside or below it arranges itself to its own shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from digitnet.common.box import Box

LINE_MIN_PX = 14  # the shortest line of text: its digits 10 px tall (app.style.MIN_TEXT_PX)
CANVAS_SHARE = 0.58  # at most this fraction of the frame's long side goes to the canvas
SUMMARY_SHARE = 0.4  # at most this fraction of a tall panel goes to the preview and readout row
TALL_PANEL = 0.6  # a panel at least this tall for its width stacks its parts
READOUT_SHARE = 1.3  # the readout is at most this many times as tall as the preview beside it
NUMBER_SHARE = 0.42  # a number's readout takes this share of the summary, its strip the rest


@dataclass(frozen=True)
class Layout:
    frame: tuple[int, int]  # (width, height)
    canvas: Box  # square drawing area
    preview: Box  # square: the 28x28 network input, scaled up
    readout: Box  # the predicted digit and its confidence
    bars: Box  # ten confidence bars, 0 to 9: the selected digit's
    status: Box  # two lines: the last action's outcome (a sample saved, fine-tuning's progress)
    samples: Box  # one line: how many samples of each digit are saved
    footer: Box  # one or two lines: the key help

    @property
    def summary(self) -> Box:
        """The preview and the readout together: a number's readout and strip share it."""
        return Box(self.preview.left, self.readout.top, self.readout.right - self.preview.left,
                   self.readout.height)


@dataclass(frozen=True)
class NumberView:
    """Where a reading of `count` parts goes: one digit as ever (its preview beside its
    readout); several, the number's readout over a strip of their previews."""

    readout: Box
    cells: tuple[Box, ...]  # one per part, left to right: its 28x28 image and its label


def number_view(layout: Layout, count: int) -> NumberView:
    """The readout and the strip's cells for a reading of `count` parts (none: one empty cell)."""
    if count <= 1:
        return NumberView(layout.readout, (layout.preview,))
    box = layout.summary
    gap = max(2, round(0.02 * box.width))
    readout = Box.rounded(box.left, box.top, box.width, NUMBER_SHARE * box.height)
    strip_y = readout.bottom + gap
    width = (box.width - (count - 1) * gap) / count
    cells = tuple(Box.rounded(box.left + i * (width + gap), strip_y, width, box.bottom - strip_y)
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
    footer = Box.rounded(gap, height - gap - footer_h, width - 2 * gap, footer_h)
    samples = Box.rounded(gap, footer.top - spacing - line_h, width - 2 * gap, line_h)
    status_h = 2 * line_h + spacing
    status = Box.rounded(gap, samples.top - spacing - status_h, width - 2 * gap, status_h)
    content = Box.rounded(gap, gap, width - 2 * gap, status.top - 2 * gap)
    if content.width >= content.height:
        side = min(content.height, round(CANVAS_SHARE * content.width))
        canvas = Box.rounded(content.left, content.top + (content.height - side) // 2, side, side)
        panel = Box.rounded(canvas.right + gap, content.top, content.right - canvas.right - gap,
                            content.height)
    else:
        side = min(content.width, round(CANVAS_SHARE * content.height))
        canvas = Box.rounded(content.left + (content.width - side) // 2, content.top, side, side)
        panel_h = content.bottom - canvas.bottom - gap
        panel = Box.rounded(content.left, canvas.bottom + gap, content.width, panel_h)
    parts = (canvas, *_split_panel(panel, gap), status, samples, footer)
    return Layout((width, height), *(_clip(part, width, height) for part in parts))


def _clip(part: Box, width: int, height: int) -> Box:
    """The part of `part` inside the frame: in frames too small for the gaps, parts shrink to
    nothing."""
    x, y = min(max(part.left, 0), width), min(max(part.top, 0), height)
    return Box(x, y, max(min(part.right, width) - x, 0), max(min(part.bottom, height) - y, 0))


def _split_panel(panel: Box, gap: int) -> tuple[Box, Box, Box]:
    """Preview and readout side by side (the summary); the bars below it in a tall panel, beside
    it in a wide one."""
    if panel.height >= TALL_PANEL * panel.width:
        summary = Box.rounded(panel.left, panel.top, panel.width,
                              min(panel.width / 2, SUMMARY_SHARE * panel.height))
        bars = Box.rounded(panel.left, summary.bottom + gap, panel.width,
                           panel.bottom - summary.bottom - gap)
    else:
        summary = Box.rounded(panel.left, panel.top, min(2 * panel.height, panel.width / 2),
                              panel.height)
        bars = Box.rounded(summary.right + gap, panel.top, panel.right - summary.right - gap,
                           panel.height)
    side = min(summary.height, (summary.width - gap) // 2)
    preview = Box.rounded(summary.left, summary.top + (summary.height - side) // 2, side, side)
    # no taller than its preview allows: a digit and its label stay together in a wide panel
    height = min(summary.height, READOUT_SHARE * side)
    readout = Box.rounded(preview.right + gap, summary.top + (summary.height - height) / 2,
                          summary.right - preview.right - gap, height)
    return preview, readout, bars
