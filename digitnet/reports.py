"""The evaluation reports as images, drawn with OpenCV (no plotting library needed).

Every figure is a white BGR uint8 image with a title, notes and one or more plots. The
look (fonts, sizes, colours) is set once below; `Axes` draws the frame, ticks and marks
that the charts share.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from digitnet.atomic import atomic_write_bytes

FONT = cv2.FONT_HERSHEY_SIMPLEX
TITLE_PX, LABEL_PX, TICK_PX, SMALL_PX = 22, 15, 14, 12  # cap heights in pixels
MARGIN = 24
LINE_WIDTH = 2

# BGR; the line colours are matplotlib's "tab" palette, familiar from every other plot
BACKGROUND = (255, 255, 255)
TEXT = (40, 40, 40)
MUTED = (120, 120, 120)
GRID = (232, 232, 232)
AXIS = (90, 90, 90)
BLUE = (180, 119, 31)
ORANGE = (14, 127, 255)
RED = (40, 39, 214)
GREEN = (44, 160, 44)

Colour = tuple[int, int, int]
Tick = tuple[float, str]


# ---- text ------------------------------------------------------------------------------

def _font(px: int, bold: bool) -> tuple[float, int]:
    thickness = 2 if bold else 1
    return cv2.getFontScaleFromHeight(FONT, px, thickness), thickness


def text_size(text: str, px: int = TICK_PX, bold: bool = False) -> tuple[int, int]:
    (width, height), _ = cv2.getTextSize(text, FONT, *_font(px, bold))
    return width, height


def put_text(img: np.ndarray, text: str, x: float, y: float, px: int = TICK_PX, colour: Colour = TEXT,
             bold: bool = False, ha: str = "left", va: str = "baseline", on_white: bool = False) -> int:
    """Anti-aliased text anchored at (x, y) by ha (left/center/right) and va (top/center/baseline);
    on_white clears a box first, for labels over lines. Returns the x where the text ends, to
    continue it in another colour."""
    width, height = text_size(text, px, bold)
    x = round(x - {"left": 0, "center": width / 2, "right": width}[ha])
    y = round(y + {"top": height, "center": height / 2, "baseline": 0}[va])
    scale, thickness = _font(px, bold)
    if on_white:
        fill_rect(img, (x - 3, y - height - 3), (x + width + 3, y + 4), BACKGROUND)
    cv2.putText(img, text, (x, y), FONT, scale, colour, thickness, cv2.LINE_AA)
    return x + width


def put_vertical_text(img: np.ndarray, text: str, x: int, y: int, px: int = LABEL_PX, colour: Colour = TEXT) -> None:
    """Text reading bottom to top, centred on (x, y): a y-axis label."""
    width, height = text_size(text, px)
    patch = np.full((height * 3 // 2 + 4, width + 4, 3), BACKGROUND, np.uint8)
    put_text(patch, text, 2, height + 2, px, colour)
    patch = cv2.rotate(patch, cv2.ROTATE_90_COUNTERCLOCKWISE)
    rows, cols = patch.shape[:2]
    region = img[y - rows // 2 : y - rows // 2 + rows, x - cols // 2 : x - cols // 2 + cols]
    np.minimum(region, patch, out=region)  # dark text over the white background


# ---- shapes ----------------------------------------------------------------------------

def tint(colour: Colour, strength: float) -> Colour:
    """`colour` mixed into white: 0 is white, 1 the full colour."""
    return tuple(round(255 + (c - 255) * strength) for c in colour)


def fill_rect(img: np.ndarray, p0: tuple[int, int], p1: tuple[int, int], colour: Colour) -> None:
    """Exactly the pixels between two corners given in any order (cv2.rectangle adds an edge)."""
    (x0, x1), (y0, y1) = sorted((p0[0], p1[0])), sorted((p0[1], p1[1]))
    img[y0:y1, x0:x1] = colour


def hatch_rect(img: np.ndarray, p0: tuple[int, int], p1: tuple[int, int], colour: Colour, spacing: int = 6) -> None:
    """Diagonal stripes and an outline: a region that reads the same over white or over a bar."""
    (x0, x1), (y0, y1) = sorted((p0[0], p1[0])), sorted((p0[1], p1[1]))
    rows, cols = np.mgrid[y0:y1, x0:x1]
    img[y0:y1, x0:x1][(rows + cols) % spacing < 2] = colour
    cv2.rectangle(img, (x0, y0), (x1 - 1, y1 - 1), colour, 1)


def dashed_line(img: np.ndarray, p0: tuple[int, int], p1: tuple[int, int], colour: Colour,
                thickness: int = LINE_WIDTH, dash: int = 8, gap: int = 6) -> None:
    start, end = np.array(p0, float), np.array(p1, float)
    length = float(np.linalg.norm(end - start))
    for s in np.arange(0, length, dash + gap):
        a = start + (end - start) * s / length
        b = start + (end - start) * min(s + dash, length) / length
        cv2.line(img, tuple(np.round(a).astype(int)), tuple(np.round(b).astype(int)), colour, thickness, cv2.LINE_AA)


# ---- figures and axes --------------------------------------------------------------------

def figure(width: int, content_height: int, title: str, notes: Sequence[str] = ()) -> tuple[np.ndarray, int]:
    """A blank figure with its title and notes drawn; (image, y where the content starts)."""
    top = MARGIN + TITLE_PX + len(notes) * (LABEL_PX + 10) + 20
    img = np.full((top + content_height + MARGIN, width, 3), BACKGROUND, np.uint8)
    put_text(img, title, MARGIN, MARGIN, TITLE_PX, bold=True, va="top")
    for i, note in enumerate(notes):
        put_text(img, note, MARGIN, MARGIN + TITLE_PX + 12 + i * (LABEL_PX + 10), LABEL_PX, MUTED, va="top")
    return img, top


def ticks(lo: float, hi: float, count: int = 5, integer: bool = False) -> list[Tick]:
    """About `count` round ticks (steps of 1, 2 or 5 times a power of ten) covering [lo, hi]."""
    if hi <= lo:
        lo, hi = lo - 1, hi + 1
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, 1) if integer else step
    decimals = max(0, -math.floor(math.log10(step)))
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [(round(i * step, decimals), f"{i * step:.{decimals}f}") for i in range(first, last + 1)]


class Axes:
    """A plot area of a figure: maps data to pixels and draws its frame and marks."""

    def __init__(self, img: np.ndarray, box: tuple[int, int, int, int],
                 x_range: tuple[float, float], y_range: tuple[float, float]):
        self.img = img
        self.left, self.top, self.right, self.bottom = box
        self.x_range, self.y_range = x_range, y_range

    def px(self, x: float, y: float) -> tuple[int, int]:
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        return (round(self.left + (x - x0) / (x1 - x0) * (self.right - self.left)),
                round(self.bottom - (y - y0) / (y1 - y0) * (self.bottom - self.top)))

    def frame(self, x_ticks: Sequence[Tick], y_ticks: Sequence[Tick], x_label: str, y_label: str) -> None:
        """Horizontal grid lines, the left and bottom axes, tick marks and labels."""
        for value, label in y_ticks:
            _, y = self.px(self.x_range[0], value)
            cv2.line(self.img, (self.left, y), (self.right, y), GRID, 1)
            cv2.line(self.img, (self.left - 5, y), (self.left, y), AXIS, 1)
            put_text(self.img, label, self.left - 9, y, TICK_PX, TEXT, ha="right", va="center")
        for value, label in x_ticks:
            x, _ = self.px(value, self.y_range[0])
            cv2.line(self.img, (x, self.bottom), (x, self.bottom + 5), AXIS, 1)
            put_text(self.img, label, x, self.bottom + 10, TICK_PX, TEXT, ha="center", va="top")
        cv2.line(self.img, (self.left, self.top), (self.left, self.bottom), AXIS, 1)
        cv2.line(self.img, (self.left, self.bottom), (self.right, self.bottom), AXIS, 1)
        label_width = max((text_size(label)[0] for _, label in y_ticks), default=0)
        put_vertical_text(self.img, y_label, self.left - label_width - 14 - LABEL_PX, (self.top + self.bottom) // 2)
        put_text(self.img, x_label, (self.left + self.right) / 2, self.bottom + TICK_PX + 24, LABEL_PX,
                 ha="center", va="top")

    def line(self, xs: Sequence[float], ys: Sequence[float], colour: Colour) -> None:
        """A polyline with a dot on every point, so a one-epoch run still shows."""
        points = np.array([self.px(x, y) for x, y in zip(xs, ys)], np.int32)
        cv2.polylines(self.img, [points], False, colour, LINE_WIDTH, cv2.LINE_AA)
        for point in points:
            cv2.circle(self.img, tuple(int(v) for v in point), 3, colour, -1, cv2.LINE_AA)

    def rect(self, x0: float, x1: float, y0: float, y1: float, colour: Colour) -> None:
        fill_rect(self.img, self.px(x0, y0), self.px(x1, y1), colour)

    def hatch(self, x0: float, x1: float, y0: float, y1: float, colour: Colour) -> None:
        hatch_rect(self.img, self.px(x0, y0), self.px(x1, y1), colour)

    def dashed(self, x0: float, y0: float, x1: float, y1: float, colour: Colour) -> None:
        dashed_line(self.img, self.px(x0, y0), self.px(x1, y1), colour)

    def legend(self, entries: Sequence[tuple[str, Colour, str]], outside: bool = False) -> None:
        """entries: (label, colour, "line" | "dashed" | "box" | "hatch"), boxed in the lower right of
        the plot, or outside, beside its top, where data may fill every corner."""
        swatch, row = 26, LABEL_PX + 12
        width = swatch + 28 + max(text_size(label, LABEL_PX)[0] for label, _, _ in entries)
        height = row * len(entries) + 10
        x, y = (self.right + 20, self.top) if outside else (self.right - width - 10, self.bottom - height - 10)
        fill_rect(self.img, (x, y), (x + width, y + height), BACKGROUND)
        cv2.rectangle(self.img, (x, y), (x + width, y + height), GRID, 1)
        for i, (label, colour, kind) in enumerate(entries):
            cy = y + 5 + row * i + row // 2
            left, right = x + 10, x + 10 + swatch
            if kind == "box":
                fill_rect(self.img, (left, cy - 7), (right, cy + 7), colour)
            elif kind == "hatch":
                hatch_rect(self.img, (left, cy - 7), (right, cy + 7), colour)
            elif kind == "dashed":
                dashed_line(self.img, (left, cy), (right, cy), colour, dash=6, gap=4)
            else:
                cv2.line(self.img, (left, cy), (right, cy), colour, LINE_WIDTH, cv2.LINE_AA)
            put_text(self.img, label, right + 8, cy, LABEL_PX, ha="left", va="center")


# ---- the reports ---------------------------------------------------------------------------

def confusion_heatmap(confusion: np.ndarray, subject: str) -> np.ndarray:
    """Counts in cells; green on the diagonal by the class's accuracy, red off it by the share of
    the largest mistake, so that the few errors of a good model stand out."""
    cell, n = 56, len(confusion)
    left = MARGIN + LABEL_PX + 70
    img, top = figure(left + n * cell + MARGIN, n * cell + 70, "Confusion matrix",
                      [subject, "rows: true digit, columns: predicted", "green: correct, red: mistakes (darker: more)"])
    row_totals = np.maximum(confusion.sum(axis=1), 1)
    mistakes = confusion * (1 - np.eye(n, dtype=confusion.dtype))
    worst = max(int(mistakes.max()), 1)
    for i in range(n):
        for j in range(n):
            count = int(confusion[i, j])
            strength = count / row_totals[i] if i == j else math.sqrt(count / worst)
            colour = tint(GREEN if i == j else RED, 0.9 * strength)
            x0, y0 = left + j * cell, top + i * cell
            fill_rect(img, (x0 + 1, y0 + 1), (x0 + cell, y0 + cell), colour)
            ink = BACKGROUND if strength > 0.55 else (GRID if count == 0 else TEXT)
            put_text(img, str(count), x0 + cell / 2, y0 + cell / 2, TICK_PX, ink, ha="center", va="center")
    for k in range(n):
        put_text(img, str(k), left - 10, top + k * cell + cell / 2, TICK_PX, ha="right", va="center")
        put_text(img, str(k), left + k * cell + cell / 2, top + n * cell + 10, TICK_PX, ha="center", va="top")
    put_vertical_text(img, "true digit", left - 44, top + n * cell // 2)
    put_text(img, "predicted digit", left + n * cell / 2, top + n * cell + 40, LABEL_PX, ha="center", va="top")
    return img


def per_class_bars(accuracy: np.ndarray, errors: np.ndarray, counts: np.ndarray, subject: str) -> np.ndarray:
    """Accuracy of each digit (NaN: no images) with its value and error count; the axis is zoomed
    in on the range the bars span (the notes say so), else good models' bars would all look alike."""
    percent = 100 * np.asarray(accuracy, float)
    present = ~np.isnan(percent)
    overall = 100 * (1 - errors.sum() / counts.sum())
    lowest = float(percent[present].min()) if present.any() else 0.0
    y_ticks = ticks(max(0.0, lowest - max(100 - lowest, 0.5)), 100)
    y_range = (y_ticks[0][0], y_ticks[-1][0])
    notes = [subject] + ([f"the axis starts at {y_ticks[0][1]} %"] if y_range[0] > 0 else [])
    img, top = figure(960, 380, "Accuracy per digit", notes)
    axes = Axes(img, (100, top + 20, 960 - MARGIN - 90, top + 300), (-0.5, len(percent) - 0.5), y_range)
    axes.frame([], y_ticks, "", "accuracy (%)")
    axes.dashed(-0.5, overall, len(percent) - 0.5, overall, ORANGE)
    put_text(img, f"all: {overall:.2f}", axes.right + 8, axes.px(0, overall)[1], TICK_PX, ORANGE, va="center")
    for digit, value in enumerate(percent):
        x, _ = axes.px(digit, y_range[0])
        put_text(img, str(digit), x, axes.bottom + 10, TICK_PX, ha="center", va="top")
        put_text(img, f"{errors[digit]} / {counts[digit]}", x, axes.bottom + 32, SMALL_PX, MUTED, ha="center",
                 va="top")
        if present[digit]:
            axes.rect(digit - 0.3, digit + 0.3, y_range[0], value, BLUE)
            put_text(img, f"{value:.2f}", x, axes.px(digit, value)[1] - 7, SMALL_PX, ha="center", on_white=True)
    put_text(img, "digit (errors / images)", (axes.left + axes.right) / 2, axes.bottom + 58, LABEL_PX, ha="center",
             va="top")
    return img


def misclassified_grid(images: np.ndarray, labels: np.ndarray, predictions: np.ndarray, confidences: np.ndarray,
                       indices: np.ndarray, subject: str, limit: int = 48, columns: int = 8) -> np.ndarray:
    """The mistakes as dark ink on white, captioned true / predicted (red) / confidence / test index."""
    zoom, cell_width, cell_height = 3, 116, 136
    shown = min(len(images), limit)
    rows = math.ceil(shown / columns)
    note = (f"{shown} of {len(images)} mistakes, most confident first; caption: true, predicted, confidence, "
            f"test index" if shown else "no mistakes")
    img, top = figure(columns * cell_width + 2 * MARGIN, rows * cell_height, "Misclassified digits",
                      [subject, note])
    tile = 28 * zoom
    for k in range(shown):
        x0 = MARGIN + (k % columns) * cell_width + (cell_width - tile) // 2
        y0 = top + (k // columns) * cell_height
        digit = cv2.resize(255 - images[k], (tile, tile), interpolation=cv2.INTER_NEAREST)
        img[y0 : y0 + tile, x0 : x0 + tile] = digit[:, :, None]
        cv2.rectangle(img, (x0 - 1, y0 - 1), (x0 + tile, y0 + tile), GRID, 1)
        end = put_text(img, f"true {labels[k]}  ", x0, y0 + tile + 8, TICK_PX, va="top")
        put_text(img, f"pred {predictions[k]}", end, y0 + tile + 8, TICK_PX, RED, bold=True, va="top")
        put_text(img, f"{100 * confidences[k]:.1f}%  #{indices[k]}", x0, y0 + tile + 30, SMALL_PX, MUTED, va="top")
    return img


def _compact(count: int) -> str:
    return f"{count / 1000:.1f}k" if count >= 1000 else str(count)


def reliability_diagram(confidence: np.ndarray, accuracy: np.ndarray, counts: np.ndarray, ece: float,
                        subject: str) -> np.ndarray:
    """Accuracy against mean confidence in equal-width bins; the red gaps are the miscalibration
    that the ECE averages. Numbers over the bars: images in the bin."""
    n_bins = len(counts)
    img, top = figure(840, 560, "Reliability diagram",
                      [subject, f"expected calibration error {100 * ece:.2f} % ({n_bins} bins)"])
    axes = Axes(img, (100, top + 20, 576, top + 480), (0, 1), (0, 1))
    unit = ticks(0, 1)
    axes.frame(unit, unit, "confidence (top probability)", "accuracy")
    for i in np.flatnonzero(counts):
        x0, x1 = i / n_bins, (i + 1) / n_bins
        axes.rect(x0, x1, 0, accuracy[i], BLUE)
        axes.hatch(x0, x1, accuracy[i], confidence[i], RED)
        x, y = axes.px((x0 + x1) / 2, max(accuracy[i], confidence[i]))
        put_text(img, _compact(int(counts[i])), x, y - 6, SMALL_PX, MUTED, ha="center", on_white=True)
    axes.dashed(0, 0, 1, 1, MUTED)
    axes.legend([("accuracy", BLUE, "box"), ("gap to confidence", RED, "hatch"),
                 ("perfect calibration", MUTED, "dashed")], outside=True)
    return img


def accuracy_ticks(train_acc: Sequence[float], val_acc: Sequence[float]) -> list[Tick]:
    """Ticks for the accuracy panel, fitted to the epochs after the first quarter of the run: the
    warm-up's low accuracies (an EMA starts near chance) would squash the part worth reading."""
    settled = len(train_acc) // 4
    return ticks(min(list(train_acc[settled:]) + list(val_acc[settled:])), 100)


def training_curves(history: Sequence[dict], subject: str, exported: tuple[int, float, str] | None = None,
                    fine_tune_from: int = 0) -> np.ndarray:
    """Loss and train/validation accuracy per epoch. The ring marks `exported` = (epoch, validation
    accuracy, what was exported), else the best validation epoch; a dashed line marks where a
    fine-tune began."""
    epochs = [r["epoch"] for r in history]
    loss = [r["train_loss"] for r in history]
    train_acc = [100 * r["train_acc"] for r in history]
    val_acc = [100 * r["val_acc"] for r in history]
    if exported:
        ring_epoch, ring_acc, ring_note = exported[0], 100 * exported[1], exported[2]
    else:
        best = int(np.argmax(val_acc))
        ring_epoch, ring_acc = epochs[best], val_acc[best]
        ring_note = f"best validation accuracy {ring_acc:.2f} % at epoch {ring_epoch}"
    acc_ticks = accuracy_ticks(train_acc, val_acc)
    acc_floor = acc_ticks[0][0]
    notes = [f"{subject}; {len(history)} epochs"
             + (f", fine-tuned from epoch {fine_tune_from} on (dashed line)" if fine_tune_from else ""),
             f"{ring_note} (ringed)"]
    if min(train_acc + val_acc) < acc_floor:
        notes.append(f"accuracies below {acc_ticks[0][1]} % (early epochs) sit on the axis")
    img, top = figure(1040, 370, "Training curves", notes)
    x_ticks = ticks(min(epochs), max(epochs), integer=True)
    x_range = (x_ticks[0][0], x_ticks[-1][0])
    box_bottom = top + 320

    loss_ticks = ticks(0, max(loss))
    loss_axes = Axes(img, (100, top + 10, 490, box_bottom), x_range, (0, loss_ticks[-1][0]))
    loss_axes.frame(x_ticks, loss_ticks, "epoch", "training loss (cross-entropy)")
    loss_axes.line(epochs, loss, BLUE)

    acc_axes = Axes(img, (620, top + 10, 1040 - MARGIN, box_bottom), x_range, (acc_floor, acc_ticks[-1][0]))
    acc_axes.frame(x_ticks, acc_ticks, "epoch", "accuracy (%)")
    acc_axes.line(epochs, [max(a, acc_floor) for a in train_acc], BLUE)
    acc_axes.line(epochs, [max(a, acc_floor) for a in val_acc], ORANGE)
    if fine_tune_from:
        x = fine_tune_from + 0.5
        loss_axes.dashed(x, 0, x, loss_ticks[-1][0], MUTED)
        acc_axes.dashed(x, acc_floor, x, acc_ticks[-1][0], MUTED)
    cv2.circle(img, acc_axes.px(ring_epoch, ring_acc), 8, ORANGE, LINE_WIDTH, cv2.LINE_AA)
    acc_axes.legend([("training (augmented)", BLUE, "line"), ("validation", ORANGE, "line")])
    return img


def save_png(path: str | os.PathLike, image: np.ndarray) -> Path:
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise ValueError(f"OpenCV could not encode a PNG of shape {image.shape}")
    return atomic_write_bytes(path, data.tobytes())
