"""Drawing the app's frame: app state and a layout in, a BGR image out.

Text is sized to the box it goes in, so every element reads well from 320x240 to 4K.
"""

from __future__ import annotations

import cv2
import numpy as np

from digitnet.app import AppState, help_line, render_canvas
from digitnet.layout import Layout, Rect

# colours, BGR
BACKGROUND = (34, 31, 29)
FRAME_LINE = (84, 80, 76)  # borders of the canvas and the preview, the preview's pixel grid
TEXT = (235, 235, 235)
MUTED = (140, 136, 132)
ACCENT = (40, 170, 255)  # the predicted digit and its bar
ERROR = (90, 90, 240)  # a status line that says something went wrong
BAR = (150, 146, 142)
BAR_TRACK = (56, 52, 50)

FONT = cv2.FONT_HERSHEY_SIMPLEX
CANVAS_HINT = "draw a digit"
GRID_MIN_SCALE = 6  # preview pixels this big or bigger get grid lines between them


def render_frame(state: AppState, layout: Layout) -> np.ndarray:
    """The whole window's image at the layout's frame size."""
    width, height = layout.frame
    frame = np.empty((height, width, 3), np.uint8)
    cv2.rectangle(frame, (0, 0), (width, height), BACKGROUND, -1)  # many times faster than frame[:] = colour
    draw_canvas(frame, layout.canvas, render_canvas(state, layout.canvas.size))
    draw_preview(frame, layout.preview, state.recognition.image)
    prediction = state.recognition.prediction
    digit = prediction.digit if prediction else None
    draw_readout(frame, layout.readout, digit, prediction.confidence if prediction else 0.0)
    draw_bars(frame, layout.bars, prediction.probs if prediction else (0.0,) * 10, digit)
    draw_lines(frame, layout, state)
    return frame


def draw_lines(frame: np.ndarray, layout: Layout, state: AppState) -> None:
    """Status, samples per digit, key help, in one text size; a status too long for it is wrapped, then shrunk."""
    keys, counts = help_line(), samples_line(state.counts)
    line_h = layout.samples.h
    scale = min(fit_scale(keys, layout.footer.w, line_h), fit_scale(counts, layout.samples.w, line_h))
    if state.status:
        box = layout.status
        lines = [state.status] if fit_scale(state.status, box.w, line_h) >= scale else wrap_in_two(state.status)
        scale_status = min(scale, *(fit_scale(line, box.w, line_h) for line in lines))
        colour = ERROR if state.status_error else TEXT
        bottom, top = Rect(box.x, box.bottom - line_h, box.w, line_h), Rect(box.x, box.y, box.w, line_h)
        for line, where in zip(reversed(lines), (bottom, top)):  # a single line sits just above the samples
            put_text(frame, line, where, scale_status, colour)
    put_text(frame, counts, layout.samples, scale, MUTED)
    put_text(frame, keys, layout.footer, scale, MUTED)


def samples_line(counts: list[int]) -> str:
    """'samples 0:3 1:5 ... 9:0'."""
    return "samples " + " ".join(f"{digit}:{count}" for digit, count in enumerate(counts))


def wrap_in_two(text: str) -> list[str]:
    """`text` broken at the space that makes the longer line shortest; one line if it has no space."""
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
        put_text(frame, CANVAS_HINT, hint, fit_scale(CANVAS_HINT, hint.w, box.h // 16), MUTED, align="center")


def draw_preview(frame: np.ndarray, box: Rect, image: np.ndarray | None) -> None:
    """The 28x28 network input, scaled up by a whole number with visible pixels, centred in its box."""
    if box.w == 0 or box.h == 0:
        return
    scale = max(box.w // 28, 1)
    side = min(28 * scale, box.w)
    inner = Rect(box.x + (box.w - side) // 2, box.y + (box.h - side) // 2, side, side)
    if image is None:
        pixels = np.zeros((side, side), np.uint8)
    else:
        pixels = cv2.resize(np.round(image * 255).astype(np.uint8), (side, side), interpolation=cv2.INTER_NEAREST)
    pixels = cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    if scale >= GRID_MIN_SCALE:
        pixels[::scale, :] = FRAME_LINE
        pixels[:, ::scale] = FRAME_LINE
    inner.view(frame)[:] = pixels
    _border(frame, inner)


def draw_readout(frame: np.ndarray, box: Rect, digit: int | None, confidence: float) -> None:
    """The predicted digit, big, over its confidence; a dash when there is none."""
    digit_box = Rect(box.x, box.y, box.w, round(0.72 * box.h))
    label_box = Rect(box.x, digit_box.bottom, box.w, box.h - digit_box.h)
    text = "-" if digit is None else str(digit)
    # sized for "8" so every digit is equally big, a dash included
    scale = fit_scale("8", digit_box.w, round(0.8 * digit_box.h))
    put_text(frame, text, digit_box, scale, MUTED if digit is None else ACCENT, align="center", weight=2.0)
    if digit is not None:
        label = f"{100 * confidence:.1f}%"
        put_text(frame, label, label_box, fit_scale("100.0%", box.w, round(0.6 * label_box.h)), TEXT, align="center")


def draw_bars(frame: np.ndarray, box: Rect, probs: tuple[float, ...], digit: int | None) -> None:
    """Ten rows: the digit, a bar as long as its probability, the percentage; the winner stands out."""
    if box.h < 10 or box.w == 0:
        return
    row_h = box.h / 10
    # one text size for all rows, so that labels and percentages line up
    text_h = min(0.85 * row_h, 6 + 0.45 * row_h)  # small rows need most of their height for legible text
    scale = min(fit_scale("8", box.w, round(text_h)), fit_scale("8 100%", box.w // 2, row_h))
    label_w = _text_width("8", scale) * 2
    pct_w = _text_width("100%", scale) + label_w // 2
    bar_x, bar_w = box.x + label_w, box.w - label_w - pct_w
    thickness = max(round(0.5 * row_h), 1)
    for d, p in enumerate(probs):
        row = Rect(box.x, box.y + round(d * row_h), box.w, round((d + 1) * row_h) - round(d * row_h))
        winner = d == digit
        top = row.y + (row.h - thickness) // 2
        cv2.rectangle(frame, (bar_x, top), (bar_x + bar_w - 1, top + thickness - 1), BAR_TRACK, -1)
        if filled := round(p * bar_w):
            cv2.rectangle(frame, (bar_x, top), (bar_x + filled - 1, top + thickness - 1), ACCENT if winner else BAR, -1)
        put_text(frame, str(d), Rect(row.x, row.y, label_w, row.h), scale, ACCENT if winner else TEXT, align="center")
        put_text(frame, f"{100 * p:.0f}%", Rect(bar_x + bar_w, row.y, pct_w, row.h), scale,
                 ACCENT if winner else MUTED, align="right")


def fit_scale(text: str, width: int, height: int) -> float:
    """The largest font scale at which `text` fits in width, with letters `height` pixels tall."""
    (text_w, text_h), _ = cv2.getTextSize(text, FONT, 1.0, 1)
    return max(min(width / text_w, height / text_h), 0.0)


def put_text(frame: np.ndarray, text: str, box: Rect, scale: float, colour: tuple[int, int, int],
             align: str = "left", weight: float = 1.0) -> None:
    """Text centred vertically in `box`, aligned left, center or right; weight thickens the strokes."""
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
