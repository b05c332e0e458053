"""The panel beside the canvas: the readout, the strip of the network's 28x28 inputs, and the
ten bars of the selected digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digitnet.app.layout import LINE_MIN_PX
from digitnet.app.state import AppState
from digitnet.app.style import (
    ACCENT,
    BAR,
    BAR_MUTED,
    BAR_TRACK,
    DOUBT,
    ERROR,
    FONT,
    FRAME_LINE,
    LINE_SCALE,
    MIN_SCALE,
    MUTED,
    TEXT,
    Colour,
    border,
    fit_scale,
    put_text,
    stroke_width,
    text_width,
)
from digitnet.common.box import Box
from digitnet.common.digits import IMAGE_SIZE, NUM_CLASSES
from digitnet.common.wording import counted
from digitnet.reading.result import DigitReading, Reading

LOADING = "loading"  # the readout's label until the model is ready (short: legible at 480x360)
NOT_A_DIGIT = "not a digit"  # the readout's label for a drawing the model rejects
TOO_SMALL = "too small"  # ... and for a speck, which the model is not asked about
NOT_A_DIGIT_MARK = "? is not a digit"  # ... for a number with a part that is not a digit
GRID_MIN_SCALE = 6  # preview pixels this big or bigger get grid lines between them
DOUBTFUL = 0.6  # a digit read with less confidence than this is marked as doubtful: about twice
NO_PROBS = (0.0,) * NUM_CLASSES


def draw_strip(frame: np.ndarray, cells: tuple[Box, ...], reading: Reading,
               selected: int | None) -> None:
    """One digit (or none): its preview, as ever. Several: each one's preview over a bar as
    long as its confidence and its label (the digit read, or "?"); the selected one stands out."""
    if len(reading.digits) <= 1:
        part = reading.single
        # a speck is not scaled up to fill the frame: the network was not shown it
        draw_preview(frame, cells[0], part.image if part and not part.speck else None)
        return
    width = min(cell.width for cell in cells)
    label_h = max(LINE_MIN_PX, round(0.16 * cells[0].height))
    scale = LINE_SCALE * label_h
    labelled = (cells[0].height - label_h >= 0.6 * cells[0].height
                and text_width("8", scale) <= width)
    full = labelled and text_width("8 100%", scale) <= 0.9 * width  # room for confidences
    for index, (cell, part) in enumerate(zip(cells, reading.digits, strict=True)):
        draw_cell(frame, cell, part, index == selected, label_h if labelled else 0, full)


def draw_cell(frame: np.ndarray, cell: Box, part: DigitReading, selected: bool, label_h: int,
              full: bool) -> None:
    """A part of a number in the strip: its preview, its confidence bar, its label."""
    bar_h = max(2, round(0.04 * cell.height))
    space = max(1, round(0.03 * cell.height))
    side = max(min(cell.width, cell.height - label_h - bar_h - 2 * space), 0)
    image = Box(cell.left + (cell.width - side) // 2, cell.top, side, side)
    draw_preview(frame, image, None if part.speck else part.image)
    if selected:
        cv2.rectangle(frame, (image.left - 2, image.top - 2), (image.right + 1, image.bottom + 1),
                      ACCENT, 2)
    bar_y = image.bottom + space
    cv2.rectangle(frame, (cell.left, bar_y), (cell.right - 1, bar_y + bar_h - 1), BAR_TRACK, -1)
    if filled := round(part.prediction.confidence * cell.width):
        colour = ACCENT if selected else BAR_MUTED if part.rejected else BAR
        cv2.rectangle(frame, (cell.left, bar_y), (cell.left + filled - 1, bar_y + bar_h - 1),
                      colour, -1)
    if label_h:  # just below its bar, however tall the cell: it belongs to this digit
        symbol = "?" if part.digit is None else str(part.digit)
        text = f"{symbol} ({percent(part.prediction.confidence)})" if full and not part.speck \
            else symbol
        colour = ACCENT if selected else MUTED if part.rejected else DOUBT if doubtful(part) \
            else TEXT
        put_text(frame, text, Box(cell.left, bar_y + bar_h + space, cell.width, label_h),
                 LINE_SCALE * label_h, colour, align="center")


def draw_preview(frame: np.ndarray, box: Box, image: np.ndarray | None) -> None:
    """The network's input, scaled up by a whole number with visible pixels, centred in its box
    (in a box smaller than 28 pixels, scaled down)."""
    if box.width == 0 or box.height == 0:
        return
    scale = max(box.width // IMAGE_SIZE, 1)
    side = min(IMAGE_SIZE * scale, box.width)
    inner = Box(box.left + (box.width - side) // 2, box.top + (box.height - side) // 2, side, side)
    gray: np.ndarray = np.zeros((side, side), np.uint8)
    if image is not None:
        shrink = side < IMAGE_SIZE
        gray = cv2.resize(np.round(image * 255).astype(np.uint8), (side, side),
                          interpolation=cv2.INTER_AREA if shrink else cv2.INTER_NEAREST)
    pixels = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    if scale >= GRID_MIN_SCALE:
        pixels[::scale, :] = FRAME_LINE
        pixels[:, ::scale] = FRAME_LINE
    inner.view(frame)[:] = pixels
    border(frame, inner)


@dataclass(frozen=True)
class Readout:
    """What the readout shows: a big symbol (a digit, or a number) over a line of text."""

    symbol: str  # the digit read; "?": not a digit; "": nothing read (yet); or a number
    symbol_colour: Colour
    label: str  # the confidence, or why there is no digit
    label_colour: Colour
    marked: int | None = None  # a number's selected digit: underlined
    doubtful: tuple[int, ...] = ()  # a number's digits read with little confidence


def doubtful(part: DigitReading) -> bool:
    """A digit read, but with less confidence than DOUBTFUL: shown so, never like a sure one."""
    return part.digit is not None and part.prediction.confidence < DOUBTFUL


def readout(reading: Reading, loading: bool = False, selected: int | None = None) -> Readout:
    """The readout for a reading: the digit and its confidence, "?" over "not a digit" (or "too
    small" for a speck), or nothing (or "loading") before anything is read. A number: its
    digits, a "?" for each part that is not one, over how many digits it has and how many of
    them are doubtful, or what "?" means."""
    if len(reading.digits) > 1:
        symbol = "".join("?" if part.digit is None else str(part.digit)
                         for part in reading.digits)
        unsure = tuple(i for i, part in enumerate(reading.digits) if doubtful(part))
        label = NOT_A_DIGIT_MARK if "?" in symbol else counted(len(symbol), "digit")
        if unsure and "?" not in symbol:
            label += f", {len(unsure)} unsure"
        return Readout(symbol, ACCENT, label, TEXT, selected, unsure)
    part = reading.single
    if part is None:
        return Readout("", MUTED, LOADING if loading else "", MUTED)
    if part.rejected:
        return Readout("?", MUTED, TOO_SMALL if part.speck else NOT_A_DIGIT, TEXT)
    colour = DOUBT if doubtful(part) else ACCENT
    return Readout(str(part.digit), colour, percent(part.prediction.confidence), TEXT)


def camera_readout(state: AppState, selected: int | None) -> Readout:
    """The steady number, over whether it is steady, frozen or changing; before one is steady,
    the newest reading's number, muted, over "reading"; none in sight, nothing."""
    assert state.watching is not None
    watching, newest = state.watching, state.reading.number
    if state.classifier is None:
        return Readout("", MUTED, LOADING, MUTED)
    if steady := watching.steady.shown:
        label = "frozen" if watching.frozen else "changing" if watching.steady.unsure \
            else "steady"
        return Readout(steady, ACCENT, label, TEXT, selected if steady == newest else None)
    if newest:
        return Readout(newest, MUTED, "reading", MUTED)
    return Readout("", MUTED, "no number in sight", MUTED)


def percent(share: float) -> str:
    """'96%': one precision for the readout, the strip and the bars."""
    return f"{100 * share:.0f}%"


def draw_readout(frame: np.ndarray, box: Box, shown: Readout) -> None:
    """The readout's symbol, big, over its label (left out where it would not be legible). In a
    number, a "?" stands out in the error colour, a doubtful digit is dull, and the selected
    digit is underlined."""
    digit_box = Box(box.left, box.top, box.width, round(0.72 * box.height))
    label_box = Box(box.left, digit_box.bottom, box.width, box.height - digit_box.height)
    # sized for "8"s so every digit is equally big, a question mark included
    scale = fit_scale("8" * max(len(shown.symbol), 1), digit_box.width,
                      round(0.8 * digit_box.height))
    if len(shown.symbol) == 1:
        put_text(frame, shown.symbol, digit_box, scale, shown.symbol_colour, align="center",
                 weight=2.0)
    elif shown.symbol:
        draw_number(frame, digit_box, shown, scale)
    if shown.label:
        # the size of a confidence, or the smallest legible; a longer label may be smaller
        height = min(max(round(0.6 * label_box.height), LINE_MIN_PX), label_box.height)
        label_scale = min(fit_scale("100%", box.width, height),
                          fit_scale(shown.label, box.width, height))
        if label_scale >= MIN_SCALE:
            put_text(frame, shown.label, label_box, label_scale, shown.label_colour,
                     align="center")


def draw_number(frame: np.ndarray, box: Box, shown: Readout, scale: float) -> None:
    """A number's symbols side by side, centred, each in its colour; the marked one underlined."""
    thickness = stroke_width(scale, 2.0)
    x = box.left + (box.width - cv2.getTextSize(shown.symbol, FONT, scale, thickness)[0][0]) // 2
    (_, text_h), _ = cv2.getTextSize("8", FONT, scale, thickness)
    baseline = box.top + (box.height + text_h) // 2
    for index, symbol in enumerate(shown.symbol):
        width = cv2.getTextSize(symbol, FONT, scale, thickness)[0][0]
        colour = ERROR if symbol == "?" else DOUBT if index in shown.doubtful \
            else shown.symbol_colour
        cv2.putText(frame, symbol, (x, baseline), FONT, scale, colour, thickness, cv2.LINE_AA)
        if index == shown.marked:
            under = min(baseline + max(2, text_h // 8), box.bottom - 1)
            cv2.line(frame, (x, under), (x + width, under), colour, max(1, thickness // 2))
        x += width


def draw_bars(frame: np.ndarray, box: Box, probs: tuple[float, ...], digit: int | None,
              muted: bool = False) -> None:
    """A row per digit: the digit, a bar as long as its probability, the percentage; the winner
    stands out. Muted (not a digit), every bar is dim and none stands out. Too short for ten
    rows of legible text, a column per digit instead."""
    if box.height < NUM_CLASSES * LINE_MIN_PX:
        draw_columns(frame, box, probs, digit, muted)
        return
    row_h = box.height / NUM_CLASSES
    # one text size for all rows, so that labels and percentages line up
    # small rows need most of their height for legible text
    text_h = max(min(0.85 * row_h, 6 + 0.45 * row_h), LINE_MIN_PX)
    scale = min(fit_scale("8", box.width, round(text_h)),
                fit_scale("8 100%", box.width // 2, round(row_h)))
    label_w = text_width("8", scale) * 2
    pct_w = text_width("100%", scale) + label_w // 2
    bar_x, bar_w = box.left + label_w, box.width - label_w - pct_w
    thickness = max(round(0.5 * row_h), 1)
    for d, p in enumerate(probs):
        row_y = box.top + round(d * row_h)
        row = Box(box.left, row_y, box.width, box.top + round((d + 1) * row_h) - row_y)
        winner = d == digit
        top = row.top + (row.height - thickness) // 2
        bottom = top + thickness - 1
        cv2.rectangle(frame, (bar_x, top), (bar_x + bar_w - 1, bottom), BAR_TRACK, -1)
        if filled := round(p * bar_w):
            colour = ACCENT if winner else BAR_MUTED if muted else BAR
            cv2.rectangle(frame, (bar_x, top), (bar_x + filled - 1, bottom), colour, -1)
        put_text(frame, str(d), Box(row.left, row.top, label_w, row.height), scale,
                 ACCENT if winner else MUTED if muted else TEXT, align="center")
        put_text(frame, percent(p), Box(bar_x + bar_w, row.top, pct_w, row.height), scale,
                 ACCENT if winner else MUTED, align="right")


def draw_columns(frame: np.ndarray, box: Box, probs: tuple[float, ...], digit: int | None,
                 muted: bool) -> None:
    """The bars as columns over their digits, for a box too short for ten rows of text."""
    col_w = box.width / NUM_CLASSES
    label_h = LINE_MIN_PX if box.height >= 3 * LINE_MIN_PX else 0
    scale = min(LINE_SCALE * label_h, fit_scale("8", round(col_w), label_h)) if label_h else 0.0
    height = box.height - label_h - (label_h // 4)
    width = max(round(0.6 * col_w), 1)
    for d, p in enumerate(probs):
        x = box.left + round(d * col_w + (col_w - width) / 2)
        winner = d == digit
        cv2.rectangle(frame, (x, box.top), (x + width - 1, box.top + height - 1), BAR_TRACK, -1)
        if filled := round(p * height):
            colour = ACCENT if winner else BAR_MUTED if muted else BAR
            cv2.rectangle(frame, (x, box.top + height - filled),
                          (x + width - 1, box.top + height - 1), colour, -1)
        if scale >= MIN_SCALE:
            column = Box(box.left + round(d * col_w), box.bottom - label_h, round(col_w), label_h)
            put_text(frame, str(d), column, scale, ACCENT if winner else MUTED if muted else TEXT,
                     align="center")
