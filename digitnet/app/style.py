"""The app's look: its colours, its one font, and text sized to the box it goes in.

Every element reads well from 320x240 to 4K: no text is drawn smaller than MIN_TEXT_PX, and
what has no room for legible text goes without it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import cv2
import numpy as np

from digitnet.common.box import Box

# colours, BGR
BACKGROUND = (34, 31, 29)
FRAME_LINE = (84, 80, 76)  # borders of the canvas and the preview, the preview's pixel grid
TEXT = (235, 235, 235)
MUTED = (140, 136, 132)
ACCENT = (40, 170, 255)  # the predicted digit and its bar; the selected digit of a number
ERROR = (90, 90, 240)  # a status line that says something went wrong; a number's "?"
DOUBT = (150, 150, 90)  # a digit read with little confidence (below DOUBTFUL): a dull teal
BAR = (150, 146, 142)
# the bars of a reading that is not a digit: visible, nothing stands out (a grey that no
# anti-aliased text on the background blends into, so tests can tell the bars apart)
BAR_MUTED = (98, 92, 86)
BAR_TRACK = (56, 52, 50)
PART_BOX = (72, 69, 66)  # on the canvas, faint: where each digit of a number was found
PART_BOX_SELECTED = (20, 85, 128)  # ... the selected one's, a dim accent
BRUSH_DOT = (92, 88, 84)  # the brush's size, in the canvas's corner
Colour = tuple[int, int, int]
FONT = cv2.FONT_HERSHEY_SIMPLEX
MIN_TEXT_PX = 10  # no text smaller: the height of a digit, in pixels


def _digit_height() -> int:
    """How tall a digit is drawn at font scale 1, in pixels (OpenCV's fonts differ by version)."""
    image = np.zeros((100, 100), np.uint8)
    cv2.putText(image, "8", (10, 80), FONT, 1.0, 255, 1, cv2.LINE_AA)
    rows = np.flatnonzero(image.max(axis=1) > 127)  # solid ink: faint edges do not count
    return int(rows[-1] - rows[0] + 1)


LINE_SCALE = 1 / cv2.getTextSize("8", FONT, 1.0, 1)[0][1]  # the scale that fills a 1-px line
MIN_SCALE = MIN_TEXT_PX / _digit_height()  # the smallest legible font scale


def fit_scale(text: str, width: int, height: int) -> float:
    """The largest font scale at which `text` fits in width, with letters `height` pixels tall."""
    (text_w, text_h), _ = cv2.getTextSize(text, FONT, 1.0, 1)
    return max(min(width / text_w, height / text_h), 0.0)


def put_text(frame: np.ndarray, text: str, box: Box, scale: float, colour: tuple[int, int, int],
             align: str = "left", weight: float = 1.0) -> None:
    """Text centred vertically in `box`, aligned left, center or right; weight thickens it."""
    if scale <= 0.1 or box.height == 0:  # too small to read: leave it out
        return
    thickness = stroke_width(scale, weight)
    (text_w, text_h), _ = cv2.getTextSize(text, FONT, scale, thickness)
    x = {"left": box.left, "center": box.left + (box.width - text_w) // 2,
         "right": box.right - text_w}[align]
    y = box.top + (box.height + text_h) // 2
    cv2.putText(frame, text, (x, y), FONT, scale, colour, thickness, cv2.LINE_AA)


def stroke_width(scale: float, weight: float = 1.0) -> int:
    return max(round(weight * 1.1 * scale), 1)


@functools.lru_cache(maxsize=4096)
def text_width(text: str, scale: float) -> int:
    """Cached: measuring text is a third of a frame's time, and frames repeat their texts."""
    return cv2.getTextSize(text, FONT, scale, stroke_width(scale))[0][0]


def border(frame: np.ndarray, box: Box) -> None:
    """A one-pixel line just outside `box`."""
    cv2.rectangle(frame, (box.left - 1, box.top - 1), (box.right, box.bottom), FRAME_LINE, 1)


def put_lines(frame: np.ndarray, lines: Sequence[str], box: Box, line_h: int, scale: float,
              colour: Colour) -> None:
    """Lines of text `line_h` high, the first at the top of `box`, the last at its bottom."""
    step = (box.height - line_h) / max(len(lines) - 1, 1)
    for i, line in enumerate(lines):
        put_text(frame, line, Box(box.left, box.top + round(i * step), box.width, line_h), scale,
                 colour)


@functools.lru_cache(maxsize=256)
def fit_lines(text: str, width: int, lines: int, scale: float) -> tuple[list[str], float]:
    """`text` wrapped at spaces into at most `lines` lines `width` wide: at `scale`, or at the
    largest smaller scale that fits. Cached: the same lines are fitted every frame."""
    while True:
        wrapped = wrap_words(text, width, scale)
        if len(wrapped) <= lines or scale <= 0.1:
            return wrapped, scale
        widest = max(text_width(line, scale) for line in wrapped)
        scale *= min(0.97, width / widest) if len(wrapped) == 1 else 0.97


def wrap_words(text: str, width: int, scale: float) -> list[str]:
    """`text` broken at spaces into lines no wider than `width` at `scale`; a word wider than
    a line (a path) is broken too, after a "/" where it can be."""
    lines: list[str] = []
    for word in text.split(" "):
        first, *rest = _pieces(word, width, scale)
        if lines and text_width(f"{lines[-1]} {first}", scale) <= width:
            lines[-1] = f"{lines[-1]} {first}"
        else:
            lines.append(first)
        lines += rest
    return lines


def _pieces(word: str, width: int, scale: float) -> list[str]:
    """`word` in pieces no wider than `width` (one character at least each)."""
    pieces = []
    while len(word) > 1 and text_width(word, scale) > width:
        fits = next((n for n in range(len(word) - 1, 1, -1)
                     if text_width(word[:n], scale) <= width), 1)
        cut = word.rfind("/", 0, fits) + 1 or fits
        pieces.append(word[:cut])
        word = word[cut:]
    return [*pieces, word]
