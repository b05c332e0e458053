"""Drawing the app's frame: app state and a layout in, a BGR image out.

Text is sized to the box it goes in, so every element reads well from 320x240 to 4K.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digitnet.app import AppState, help_line
from digitnet.digits import IMAGE_SIZE, NUM_CLASSES
from digitnet.layout import Layout, Rect
from digitnet.reading import Reading

# colours, BGR
BACKGROUND = (34, 31, 29)
FRAME_LINE = (84, 80, 76)  # borders of the canvas and the preview, the preview's pixel grid
TEXT = (235, 235, 235)
MUTED = (140, 136, 132)
ACCENT = (40, 170, 255)  # the predicted digit and its bar
ERROR = (90, 90, 240)  # a status line that says something went wrong
BAR = (150, 146, 142)
# the bars of a reading that is not a digit: visible, nothing stands out (a grey that no
# anti-aliased text on the background blends into, so tests can tell the bars apart)
BAR_MUTED = (98, 92, 86)
BAR_TRACK = (56, 52, 50)
Colour = tuple[int, int, int]

FONT = cv2.FONT_HERSHEY_SIMPLEX
CANVAS_HINT = "draw a digit"
LOADING = "loading model"  # the readout's label until the model is ready
NOT_A_DIGIT = "not a digit"  # the readout's label for a drawing the model rejects
TOO_SMALL = "too small"  # ... and for a speck, which the model is not asked about
GRID_MIN_SCALE = 6  # preview pixels this big or bigger get grid lines between them
NO_PROBS = (0.0,) * NUM_CLASSES


def render_frame(state: AppState, layout: Layout) -> np.ndarray:
    """The whole window's image at the layout's frame size."""
    width, height = layout.frame
    frame = np.empty((height, width, 3), np.uint8)
    # many times faster than frame[:] = colour
    cv2.rectangle(frame, (0, 0), (width, height), BACKGROUND, -1)
    draw_canvas(frame, layout.canvas, state.drawing.render(layout.canvas.size))
    part = state.reading.single
    # a speck is not scaled up to fill the frame: the network was not shown it
    draw_preview(frame, layout.preview, part.image if part and not part.speck else None)
    draw_readout(frame, layout.readout, readout(state.reading, loading=state.recognizer is None))
    probs = part.prediction.probs if part else NO_PROBS
    draw_bars(frame, layout.bars, probs, part.digit if part else None,
              muted=part is not None and part.rejected)
    draw_lines(frame, layout, state)
    return frame


def draw_lines(frame: np.ndarray, layout: Layout, state: AppState) -> None:
    """Status, samples per digit, key help, in one text size; a status too long for it is
    wrapped, then shrunk."""
    keys, counts = help_line(), samples_line(state.teaching.counts)
    line_h = layout.samples.h
    scale = min(fit_scale(keys, layout.footer.w, line_h),
                fit_scale(counts, layout.samples.w, line_h))
    status = state.teaching.status
    if status.text:
        box = layout.status
        fits = fit_scale(status.text, box.w, line_h) >= scale
        lines = [status.text] if fits else wrap_in_two(status.text)
        scale_status = min(scale, *(fit_scale(line, box.w, line_h) for line in lines))
        colour = ERROR if status.error else TEXT
        bottom = Rect(box.x, box.bottom - line_h, box.w, line_h)
        top = Rect(box.x, box.y, box.w, line_h)
        # a single line sits just above the samples
        for line, where in zip(reversed(lines), (bottom, top), strict=False):
            put_text(frame, line, where, scale_status, colour)
    put_text(frame, counts, layout.samples, scale, MUTED)
    put_text(frame, keys, layout.footer, scale, MUTED)


def samples_line(counts: list[int]) -> str:
    """'samples 0:3 1:5 ... 9:0'."""
    return "samples " + " ".join(f"{digit}:{count}" for digit, count in enumerate(counts))


def wrap_in_two(text: str) -> list[str]:
    """`text` broken at the space that makes the longer line shortest; one line if no space."""
    spaces = [i for i, char in enumerate(text) if char == " "]
    if not spaces:
        return [text]
    cut = min(spaces, key=lambda i: max(i, len(text) - i - 1))
    return [text[:cut], text[cut + 1 :]]


def draw_canvas(frame: np.ndarray, box: Rect, canvas: np.ndarray) -> None:
    """The canvas as the network reads it, white on black, with a hint while it is empty."""
    if box.w == 0 or box.h == 0:
        return
    box.view(frame)[:] = cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)
    _border(frame, box)
    if not canvas.any():
        hint = Rect(box.x + box.w // 8, box.y, box.w - box.w // 4, box.h)
        scale = fit_scale(CANVAS_HINT, hint.w, box.h // 16)
        put_text(frame, CANVAS_HINT, hint, scale, MUTED, align="center")


def draw_preview(frame: np.ndarray, box: Rect, image: np.ndarray | None) -> None:
    """The network's input, scaled up by a whole number with visible pixels, centred in its box."""
    if box.w == 0 or box.h == 0:
        return
    scale = max(box.w // IMAGE_SIZE, 1)
    side = min(IMAGE_SIZE * scale, box.w)
    inner = Rect(box.x + (box.w - side) // 2, box.y + (box.h - side) // 2, side, side)
    gray: np.ndarray = np.zeros((side, side), np.uint8)
    if image is not None:
        gray = cv2.resize(np.round(image * 255).astype(np.uint8), (side, side),
                          interpolation=cv2.INTER_NEAREST)
    pixels = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    if scale >= GRID_MIN_SCALE:
        pixels[::scale, :] = FRAME_LINE
        pixels[:, ::scale] = FRAME_LINE
    inner.view(frame)[:] = pixels
    _border(frame, inner)


@dataclass(frozen=True)
class Readout:
    """What the readout shows: a big symbol over a line of text."""

    symbol: str  # the digit read; "?": not a digit; "-": nothing read (yet)
    symbol_colour: Colour
    label: str  # the confidence, or why there is no digit
    label_colour: Colour


def readout(reading: Reading, loading: bool = False) -> Readout:
    """The readout for a reading: the digit and its confidence, "?" over "not a digit" (or "too
    small" for a speck), or a dash with nothing (or "loading model") below."""
    part = reading.single
    if part is None:
        return Readout("-", MUTED, LOADING if loading else "", MUTED)
    if part.rejected:
        return Readout("?", MUTED, TOO_SMALL if part.speck else NOT_A_DIGIT, TEXT)
    return Readout(str(part.digit), ACCENT, f"{100 * part.prediction.confidence:.1f}%", TEXT)


def draw_readout(frame: np.ndarray, box: Rect, shown: Readout) -> None:
    """The readout's symbol, big, over its label."""
    digit_box = Rect(box.x, box.y, box.w, round(0.72 * box.h))
    label_box = Rect(box.x, digit_box.bottom, box.w, box.h - digit_box.h)
    # sized for "8" so every digit is equally big, a dash and a question mark included
    scale = fit_scale("8", digit_box.w, round(0.8 * digit_box.h))
    put_text(frame, shown.symbol, digit_box, scale, shown.symbol_colour, align="center",
             weight=2.0)
    if shown.label:
        height = round(0.6 * label_box.h)  # the size of a confidence; a longer label may be smaller
        label_scale = min(fit_scale("100.0%", box.w, height),
                          fit_scale(shown.label, box.w, height))
        put_text(frame, shown.label, label_box, label_scale, shown.label_colour, align="center")


def draw_bars(frame: np.ndarray, box: Rect, probs: tuple[float, ...], digit: int | None,
              muted: bool = False) -> None:
    """A row per digit: the digit, a bar as long as its probability, the percentage; the winner
    stands out. Muted (not a digit), every bar is dim and none stands out."""
    if box.h < NUM_CLASSES or box.w == 0:
        return
    row_h = box.h / NUM_CLASSES
    # one text size for all rows, so that labels and percentages line up
    # small rows need most of their height for legible text
    text_h = min(0.85 * row_h, 6 + 0.45 * row_h)
    scale = min(fit_scale("8", box.w, round(text_h)), fit_scale("8 100%", box.w // 2, round(row_h)))
    label_w = _text_width("8", scale) * 2
    pct_w = _text_width("100%", scale) + label_w // 2
    bar_x, bar_w = box.x + label_w, box.w - label_w - pct_w
    thickness = max(round(0.5 * row_h), 1)
    for d, p in enumerate(probs):
        row_y = box.y + round(d * row_h)
        row = Rect(box.x, row_y, box.w, box.y + round((d + 1) * row_h) - row_y)
        winner = d == digit
        top = row.y + (row.h - thickness) // 2
        bottom = top + thickness - 1
        cv2.rectangle(frame, (bar_x, top), (bar_x + bar_w - 1, bottom), BAR_TRACK, -1)
        if filled := round(p * bar_w):
            colour = ACCENT if winner else BAR_MUTED if muted else BAR
            cv2.rectangle(frame, (bar_x, top), (bar_x + filled - 1, bottom), colour, -1)
        put_text(frame, str(d), Rect(row.x, row.y, label_w, row.h), scale,
                 ACCENT if winner else MUTED if muted else TEXT, align="center")
        put_text(frame, f"{100 * p:.0f}%", Rect(bar_x + bar_w, row.y, pct_w, row.h), scale,
                 ACCENT if winner else MUTED, align="right")


def fit_scale(text: str, width: int, height: int) -> float:
    """The largest font scale at which `text` fits in width, with letters `height` pixels tall."""
    (text_w, text_h), _ = cv2.getTextSize(text, FONT, 1.0, 1)
    return max(min(width / text_w, height / text_h), 0.0)


def put_text(frame: np.ndarray, text: str, box: Rect, scale: float, colour: tuple[int, int, int],
             align: str = "left", weight: float = 1.0) -> None:
    """Text centred vertically in `box`, aligned left, center or right; weight thickens it."""
    if scale <= 0.1 or box.h == 0:  # too small to read: leave it out
        return
    thickness = _thickness(scale, weight)
    (text_w, text_h), _ = cv2.getTextSize(text, FONT, scale, thickness)
    x = {"left": box.x, "center": box.x + (box.w - text_w) // 2, "right": box.right - text_w}[align]
    y = box.y + (box.h + text_h) // 2
    cv2.putText(frame, text, (x, y), FONT, scale, colour, thickness, cv2.LINE_AA)


def _thickness(scale: float, weight: float = 1.0) -> int:
    return max(round(weight * 1.1 * scale), 1)


def _text_width(text: str, scale: float) -> int:
    return cv2.getTextSize(text, FONT, scale, _thickness(scale))[0][0]


def _border(frame: np.ndarray, box: Rect) -> None:
    """A one-pixel line just outside `box`."""
    cv2.rectangle(frame, (box.x - 1, box.y - 1), (box.right, box.bottom), FRAME_LINE, 1)
