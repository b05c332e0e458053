"""Drawing the app's frame: app state and a layout in, a BGR image out.

Text is sized to the box it goes in, so every element reads well from 320x240 to 4K, and no
text is drawn smaller than MIN_TEXT_PX: what has no room for legible text goes without it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from digitnet.app import AppState, help_line
from digitnet.digits import IMAGE_SIZE, NUM_CLASSES
from digitnet.drawing import brush_pixels
from digitnet.layout import LINE_MIN_PX, Layout, Rect, compute_layout, number_view
from digitnet.reading import DigitReading, Reading
from digitnet.teaching import how_many
from digitnet.wording import counted

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
CANVAS_HINT_LINES = ("draw a digit", "or a number")  # on an empty canvas
CANVAS_HINT = " ".join(CANVAS_HINT_LINES)
LOADING = "loading"  # the readout's label until the model is ready (short: legible at 480x360)
NOT_A_DIGIT = "not a digit"  # the readout's label for a drawing the model rejects
TOO_SMALL = "too small"  # ... and for a speck, which the model is not asked about
NOT_A_DIGIT_MARK = "? is not a digit"  # ... for a number with a part that is not a digit
GRID_MIN_SCALE = 6  # preview pixels this big or bigger get grid lines between them
DOUBTFUL = 0.6  # a digit read with less confidence than this is marked as doubtful: about twice
# the shipped models' reject thresholds (0.27-0.29), below which it would read "not a digit"
NO_PROBS = (0.0,) * NUM_CLASSES


def _digit_height() -> int:
    """How tall a digit is drawn at font scale 1, in pixels (OpenCV's fonts differ by version)."""
    image = np.zeros((100, 100), np.uint8)
    cv2.putText(image, "8", (10, 80), FONT, 1.0, 255, 1, cv2.LINE_AA)
    rows = np.flatnonzero(image.max(axis=1) > 127)  # solid ink: faint edges do not count
    return int(rows[-1] - rows[0] + 1)


LINE_SCALE = 1 / cv2.getTextSize("8", FONT, 1.0, 1)[0][1]  # the scale that fills a 1-px line
MIN_SCALE = MIN_TEXT_PX / _digit_height()  # the smallest legible font scale


def keys_help(state: AppState) -> str:
    """The key help for what is on show: the drawing's keys, or the camera's."""
    return help_line(state.watching_camera, state.watching is not None)


def frame_layout(width: int, height: int, keys: str | None = None) -> Layout:
    """The layout of a frame: the key help (`keys`, default the drawing's) gets a second line
    where one would not hold it."""
    layout = compute_layout(width, height)
    if _text_width(keys or help_line(), LINE_SCALE * layout.samples.h) > layout.footer.w:
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
        readout(reading, loading=state.recognizer is None, selected=selected)
    if state.stale:  # of ink since taken away: muted until its new reading comes
        shown = replace(shown, symbol_colour=MUTED, label_colour=MUTED, doubtful=())
    draw_readout(frame, view.readout, shown)
    part = None if selected is None else reading.digits[selected]
    probs = part.prediction.probs if part else NO_PROBS
    draw_bars(frame, layout.bars, probs, part.digit if part else None,
              muted=part is not None and part.rejected or state.stale)
    draw_lines(frame, layout, state)
    return frame


# the lines of text along the bottom


def draw_lines(frame: np.ndarray, layout: Layout, state: AppState) -> None:
    """Status, samples per digit (once there are any), key help, in one text size (the samples
    smaller where they would not fit). A status too long for its two lines is shrunk as far as
    it stays legible, then given the lines it needs, over the panel above: it gives way to the
    next drawing."""
    line_h = layout.samples.h
    help_lines = 2 if layout.footer.h >= 2 * line_h > 0 else 1
    keys_lines, scale = fit_lines(keys_help(state), layout.footer.w, help_lines,
                                  LINE_SCALE * line_h)
    status = state.teaching.status
    if status.text:
        draw_status(frame, layout, status.text, scale, ERROR if status.error else TEXT)
    if counts := samples_line(state.teaching.counts, layout.samples.w, scale):
        counts_lines, counts_scale = fit_lines(counts, layout.samples.w, 1, scale)
        put_lines(frame, counts_lines, layout.samples, line_h, counts_scale, MUTED)
    put_lines(frame, keys_lines, layout.footer, line_h, scale, MUTED)


def draw_status(frame: np.ndarray, layout: Layout, text: str, scale: float,
                colour: Colour) -> None:
    """The status in its two lines (one line sits just above the samples), or more lines over
    what is above them where two would make it illegible."""
    box, line_h = layout.status, layout.samples.h
    spacing = box.h - 2 * line_h
    lines, fitted = fit_lines(text, box.w, 2, scale)
    if fitted < min(MIN_SCALE, scale):
        fitted = min(MIN_SCALE, scale)
        lines = wrap_words(text, box.w, fitted)
    height = len(lines) * line_h + (len(lines) - 1) * spacing
    where = Rect(box.x, box.bottom - height, box.w, height)
    if len(lines) > 2:  # over the panel and canvas, on the background, until the next drawing
        cv2.rectangle(frame, (0, max(where.y - spacing, 0)), (frame.shape[1] - 1, box.bottom),
                      BACKGROUND, -1)
    put_lines(frame, lines, where, line_h, fitted, colour)


def put_lines(frame: np.ndarray, lines: Sequence[str], box: Rect, line_h: int, scale: float,
              colour: Colour) -> None:
    """Lines of text `line_h` high, the first at the top of `box`, the last at its bottom."""
    step = (box.h - line_h) / max(len(lines) - 1, 1)
    for i, line in enumerate(lines):
        put_text(frame, line, Rect(box.x, box.y + round(i * step), box.w, line_h), scale, colour)


@functools.lru_cache(maxsize=256)
def fit_lines(text: str, width: int, lines: int, scale: float) -> tuple[list[str], float]:
    """`text` wrapped at spaces into at most `lines` lines `width` wide: at `scale`, or at the
    largest smaller scale that fits. Cached: the same lines are fitted every frame."""
    while True:
        wrapped = wrap_words(text, width, scale)
        if len(wrapped) <= lines or scale <= 0.1:
            return wrapped, scale
        widest = max(_text_width(line, scale) for line in wrapped)
        scale *= min(0.97, width / widest) if len(wrapped) == 1 else 0.97


def wrap_words(text: str, width: int, scale: float) -> list[str]:
    """`text` broken at spaces into lines no wider than `width` at `scale`; a word wider than
    a line (a path) is broken too, after a "/" where it can be."""
    lines: list[str] = []
    for word in text.split(" "):
        first, *rest = _pieces(word, width, scale)
        if lines and _text_width(f"{lines[-1]} {first}", scale) <= width:
            lines[-1] = f"{lines[-1]} {first}"
        else:
            lines.append(first)
        lines += rest
    return lines


def _pieces(word: str, width: int, scale: float) -> list[str]:
    """`word` in pieces no wider than `width` (one character at least each)."""
    pieces = []
    while len(word) > 1 and _text_width(word, scale) > width:
        fits = next((n for n in range(len(word) - 1, 1, -1)
                     if _text_width(word[:n], scale) <= width), 1)
        cut = word.rfind("/", 0, fits) + 1 or fits
        pieces.append(word[:cut])
        word = word[cut:]
    return [*pieces, word]


def samples_line(counts: list[int], width: int, scale: float) -> str:
    """'samples saved: 3 zeros, 1 seven', or where that is wider than `width` at `scale`,
    'samples saved: 0:3 7:1'; nothing before the first sample is saved."""
    saved = [digit for digit, count in enumerate(counts) if count]
    if not saved:
        return ""
    words = "samples saved: " + ", ".join(how_many(counts[d], d) for d in saved)
    if _text_width(words, scale) <= width:
        return words
    return "samples saved: " + " ".join(f"{d}:{counts[d]}" for d in saved)


# the canvas


def draw_canvas(frame: np.ndarray, box: Rect, state: AppState, selected: int | None) -> None:
    """The canvas as the network reads it, white on black; under the ink, faintly, a hint while
    it is empty, the boxes of a number's digits, and the brush's size in the corner."""
    if box.w == 0 or box.h == 0:
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
    _border(frame, box)


def draw_hint(frame: np.ndarray, box: Rect) -> None:
    """The hint in the middle of the empty canvas: on one line, or on two where one would be
    too small to read."""
    width, line_h = box.w - box.w // 4, max(box.h // 16, LINE_MIN_PX)
    scale = fit_scale(CANVAS_HINT, width, line_h)
    lines = [CANVAS_HINT] if scale >= MIN_SCALE else list(CANVAS_HINT_LINES)
    scale = max(scale, MIN_SCALE)
    step = round(1.5 * line_h)  # room for descenders
    top = box.y + (box.h - line_h - (len(lines) - 1) * step) // 2
    for i, line in enumerate(lines):
        put_text(frame, line, Rect(box.x, top + i * step, box.w, line_h), scale, MUTED,
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


def draw_brush(frame: np.ndarray, box: Rect, brush: float) -> None:
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
    text = Rect(box.x + margin, centre[1] - line_h // 2,
                centre[0] - row_h // 2 - margin - box.x - margin, line_h)
    if _text_width(label, scale) <= text.w:
        put_text(frame, label, text, scale, MUTED, align="right")


# the camera's picture


def draw_picture(frame: np.ndarray, box: Rect, state: AppState, selected: int | None) -> None:
    """The camera's picture, whole, scaled to fit the canvas; over it each digit's box (the
    selected one lit) and the steady number, or "frozen" while S holds it."""
    assert state.watching is not None
    view = box.view(frame)
    view[:] = 0
    picture = state.watching.picture
    width, height = picture.size
    scale = min(box.w / width, box.h / height)
    shown = (max(1, round(width * scale)), max(1, round(height * scale)))
    x0, y0 = (box.w - shown[0]) // 2, (box.h - shown[1]) // 2
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
        where = Rect(box.x + x0 + line_h // 2, box.y + y0 + line_h // 2, shown[0], line_h)
        put_text(frame, label, where, LINE_SCALE * line_h, ACCENT, weight=2.0)
    _border(frame, box)


def camera_readout(state: AppState, selected: int | None) -> Readout:
    """The steady number, over whether it is steady, frozen or changing; before one is steady,
    the newest reading's number, muted, over "reading"; none in sight, nothing."""
    assert state.watching is not None
    watching, newest = state.watching, state.reading.number
    if state.recognizer is None:
        return Readout("", MUTED, LOADING, MUTED)
    if steady := watching.steady.shown:
        label = "frozen" if watching.frozen else "changing" if watching.steady.unsure \
            else "steady"
        return Readout(steady, ACCENT, label, TEXT, selected if steady == newest else None)
    if newest:
        return Readout(newest, MUTED, "reading", MUTED)
    return Readout("", MUTED, "no number in sight", MUTED)


# the strip of the network's inputs


def draw_strip(frame: np.ndarray, cells: tuple[Rect, ...], reading: Reading,
               selected: int | None) -> None:
    """One digit (or none): its preview, as ever. Several: each one's preview over a bar as
    long as its confidence and its label (the digit read, or "?"); the selected one stands out."""
    if len(reading.digits) <= 1:
        part = reading.single
        # a speck is not scaled up to fill the frame: the network was not shown it
        draw_preview(frame, cells[0], part.image if part and not part.speck else None)
        return
    width = min(cell.w for cell in cells)
    label_h = max(LINE_MIN_PX, round(0.16 * cells[0].h))
    scale = LINE_SCALE * label_h
    labelled = cells[0].h - label_h >= 0.6 * cells[0].h and _text_width("8", scale) <= width
    full = labelled and _text_width("8 100%", scale) <= 0.9 * width  # room for confidences
    for index, (cell, part) in enumerate(zip(cells, reading.digits, strict=True)):
        draw_cell(frame, cell, part, index == selected, label_h if labelled else 0, full)


def draw_cell(frame: np.ndarray, cell: Rect, part: DigitReading, selected: bool, label_h: int,
              full: bool) -> None:
    """A part of a number in the strip: its preview, its confidence bar, its label."""
    bar_h = max(2, round(0.04 * cell.h))
    space = max(1, round(0.03 * cell.h))
    side = max(min(cell.w, cell.h - label_h - bar_h - 2 * space), 0)
    image = Rect(cell.x + (cell.w - side) // 2, cell.y, side, side)
    draw_preview(frame, image, None if part.speck else part.image)
    if selected:
        cv2.rectangle(frame, (image.x - 2, image.y - 2), (image.right + 1, image.bottom + 1),
                      ACCENT, 2)
    bar_y = image.bottom + space
    cv2.rectangle(frame, (cell.x, bar_y), (cell.right - 1, bar_y + bar_h - 1), BAR_TRACK, -1)
    if filled := round(part.prediction.confidence * cell.w):
        colour = ACCENT if selected else BAR_MUTED if part.rejected else BAR
        cv2.rectangle(frame, (cell.x, bar_y), (cell.x + filled - 1, bar_y + bar_h - 1), colour, -1)
    if label_h:  # just below its bar, however tall the cell: it belongs to this digit
        symbol = "?" if part.digit is None else str(part.digit)
        text = f"{symbol} ({percent(part.prediction.confidence)})" if full and not part.speck \
            else symbol
        colour = ACCENT if selected else MUTED if part.rejected else DOUBT if doubtful(part) \
            else TEXT
        put_text(frame, text, Rect(cell.x, bar_y + bar_h + space, cell.w, label_h),
                 LINE_SCALE * label_h, colour, align="center")


def draw_preview(frame: np.ndarray, box: Rect, image: np.ndarray | None) -> None:
    """The network's input, scaled up by a whole number with visible pixels, centred in its box
    (in a box smaller than 28 pixels, scaled down)."""
    if box.w == 0 or box.h == 0:
        return
    scale = max(box.w // IMAGE_SIZE, 1)
    side = min(IMAGE_SIZE * scale, box.w)
    inner = Rect(box.x + (box.w - side) // 2, box.y + (box.h - side) // 2, side, side)
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
    _border(frame, inner)


# the readout


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


def percent(share: float) -> str:
    """'96%': one precision for the readout, the strip and the bars."""
    return f"{100 * share:.0f}%"


def draw_readout(frame: np.ndarray, box: Rect, shown: Readout) -> None:
    """The readout's symbol, big, over its label (left out where it would not be legible). In a
    number, a "?" stands out in the error colour, a doubtful digit is dull, and the selected
    digit is underlined."""
    digit_box = Rect(box.x, box.y, box.w, round(0.72 * box.h))
    label_box = Rect(box.x, digit_box.bottom, box.w, box.h - digit_box.h)
    # sized for "8"s so every digit is equally big, a question mark included
    scale = fit_scale("8" * max(len(shown.symbol), 1), digit_box.w, round(0.8 * digit_box.h))
    if len(shown.symbol) == 1:
        put_text(frame, shown.symbol, digit_box, scale, shown.symbol_colour, align="center",
                 weight=2.0)
    elif shown.symbol:
        draw_number(frame, digit_box, shown, scale)
    if shown.label:
        # the size of a confidence, or the smallest legible; a longer label may be smaller
        height = min(max(round(0.6 * label_box.h), LINE_MIN_PX), label_box.h)
        label_scale = min(fit_scale("100%", box.w, height), fit_scale(shown.label, box.w, height))
        if label_scale >= MIN_SCALE:
            put_text(frame, shown.label, label_box, label_scale, shown.label_colour,
                     align="center")


def draw_number(frame: np.ndarray, box: Rect, shown: Readout, scale: float) -> None:
    """A number's symbols side by side, centred, each in its colour; the marked one underlined."""
    thickness = _thickness(scale, 2.0)
    x = box.x + (box.w - cv2.getTextSize(shown.symbol, FONT, scale, thickness)[0][0]) // 2
    (_, text_h), _ = cv2.getTextSize("8", FONT, scale, thickness)
    baseline = box.y + (box.h + text_h) // 2
    for index, symbol in enumerate(shown.symbol):
        width = cv2.getTextSize(symbol, FONT, scale, thickness)[0][0]
        colour = ERROR if symbol == "?" else DOUBT if index in shown.doubtful \
            else shown.symbol_colour
        cv2.putText(frame, symbol, (x, baseline), FONT, scale, colour, thickness, cv2.LINE_AA)
        if index == shown.marked:
            under = min(baseline + max(2, text_h // 8), box.bottom - 1)
            cv2.line(frame, (x, under), (x + width, under), colour, max(1, thickness // 2))
        x += width


# the bars


def draw_bars(frame: np.ndarray, box: Rect, probs: tuple[float, ...], digit: int | None,
              muted: bool = False) -> None:
    """A row per digit: the digit, a bar as long as its probability, the percentage; the winner
    stands out. Muted (not a digit), every bar is dim and none stands out. Too short for ten
    rows of legible text, a column per digit instead."""
    if box.h < NUM_CLASSES * LINE_MIN_PX:
        draw_columns(frame, box, probs, digit, muted)
        return
    row_h = box.h / NUM_CLASSES
    # one text size for all rows, so that labels and percentages line up
    # small rows need most of their height for legible text
    text_h = max(min(0.85 * row_h, 6 + 0.45 * row_h), LINE_MIN_PX)
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
        put_text(frame, percent(p), Rect(bar_x + bar_w, row.y, pct_w, row.h), scale,
                 ACCENT if winner else MUTED, align="right")


def draw_columns(frame: np.ndarray, box: Rect, probs: tuple[float, ...], digit: int | None,
                 muted: bool) -> None:
    """The bars as columns over their digits, for a box too short for ten rows of text."""
    col_w = box.w / NUM_CLASSES
    label_h = LINE_MIN_PX if box.h >= 3 * LINE_MIN_PX else 0
    scale = min(LINE_SCALE * label_h, fit_scale("8", round(col_w), label_h)) if label_h else 0.0
    height = box.h - label_h - (label_h // 4)
    width = max(round(0.6 * col_w), 1)
    for d, p in enumerate(probs):
        x = box.x + round(d * col_w + (col_w - width) / 2)
        winner = d == digit
        cv2.rectangle(frame, (x, box.y), (x + width - 1, box.y + height - 1), BAR_TRACK, -1)
        if filled := round(p * height):
            colour = ACCENT if winner else BAR_MUTED if muted else BAR
            cv2.rectangle(frame, (x, box.y + height - filled), (x + width - 1, box.y + height - 1),
                          colour, -1)
        if scale >= MIN_SCALE:
            column = Rect(box.x + round(d * col_w), box.bottom - label_h, round(col_w), label_h)
            put_text(frame, str(d), column, scale, ACCENT if winner else MUTED if muted else TEXT,
                     align="center")


# text


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


@functools.lru_cache(maxsize=4096)
def _text_width(text: str, scale: float) -> int:
    """Cached: measuring text is a third of a frame's time, and frames repeat their texts."""
    return cv2.getTextSize(text, FONT, scale, _thickness(scale))[0][0]


def _border(frame: np.ndarray, box: Rect) -> None:
    """A one-pixel line just outside `box`."""
    cv2.rectangle(frame, (box.x - 1, box.y - 1), (box.right, box.bottom), FRAME_LINE, 1)
