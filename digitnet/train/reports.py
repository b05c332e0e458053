"""The evaluation reports as matplotlib figures, saved as PNG, SVG or PDF.

Only `evaluate` imports this module, when it draws its reports: matplotlib takes about a
second to import. Figures are built with the object API (`Figure`, no pyplot), so no
display, backend or global figure list is involved and nothing needs closing.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import MaxNLocator

from digitnet.common.atomic import atomic_write_bytes
from digitnet.common.wording import counted

if TYPE_CHECKING:
    from digitnet.model.weights import EpochRecord

DPI = 100
BLUE, ORANGE, RED, GREY = "tab:blue", "tab:orange", "tab:red", "0.45"
STYLE = matplotlib.rc_context({
    "font.size": 11, "axes.titlesize": 11, "axes.spines.top": False, "axes.spines.right": False,
    "axes.axisbelow": True, "grid.color": "0.9", "legend.frameon": False,
})
FORMATS = (".png", ".svg", ".pdf")


def figure(title: str, notes: Sequence[str], width: float, height: float, rows: int = 1,
           columns: int = 1) -> tuple[Figure, Any]:
    """A bold title and grey notes above `rows` x `columns` axes that fill width x height
    inches; (the figure, its axes as Figure.subplots gives them)."""
    total = height + 0.45 + 0.24 * len(notes)
    layout = ConstrainedLayoutEngine(rect=(0, 0, 1, height / total))  # the notes sit above
    fig = Figure((width, total), DPI, layout=layout)
    inches = fig.dpi_scale_trans
    fig.text(0.15, total - 0.15, title, size=15, weight="bold", va="top", transform=inches)
    for i, note in enumerate(notes):
        fig.text(0.15, total - 0.5 - 0.24 * i, note, color=GREY, va="top", transform=inches)
    return fig, fig.subplots(rows, columns)


def nice_floor(low: float, high: float = 100.0) -> float:
    """The first round tick at or below `low` on an axis up to `high`: a zoomed axis's start."""
    return round(float(MaxNLocator(5, steps=[1, 2, 5, 10]).tick_values(low, high)[0]), 9)


@STYLE
def confusion_heatmap(confusion: np.ndarray, subject: str) -> Figure:
    """Counts in cells: the diagonal in greens by the digit's accuracy, mistakes in reds scaled to
    the largest mistake (the colour bar), so that the few errors of a good model stand out."""
    fig, ax = figure("Confusion matrix", [subject, "green: right, darker: more accurate"], 6.6, 5.8)
    n, diagonal = len(confusion), np.eye(len(confusion), dtype=bool)
    recall = np.diag(confusion) / np.maximum(confusion.sum(axis=1), 1)
    mistakes = np.where(diagonal | (confusion == 0), np.nan, confusion)
    worst = np.nanmax(mistakes, initial=1)
    ax.imshow(np.where(diagonal, recall, np.nan), cmap="Greens", vmin=-0.2, vmax=1)  # NaN: clear
    cells = ax.imshow(mistakes, cmap="Reds", vmin=0, vmax=worst)
    for (i, j), count in np.ndenumerate(confusion):
        dark = recall[i] > 0.6 if i == j else count > 0.6 * worst
        ax.text(j, i, str(count), ha="center", va="center", size=10 - (count > 999),
                color="0.8" if count == 0 else "white" if dark else "black")
    ax.set(xticks=range(n), yticks=range(n), xlabel="predicted digit", ylabel="true digit")
    fig.colorbar(cells, ax=ax, shrink=0.8, label="misread images", ticks=MaxNLocator(integer=True))
    return fig


@STYLE
def per_class_bars(accuracy: np.ndarray, errors: np.ndarray, counts: np.ndarray,
                   subject: str) -> Figure:
    """Accuracy of each digit (NaN: no images) with its value and error count. The axis zooms in
    on the range the bars span (a note says so), else good models' bars would all look alike."""
    percent, digits = 100 * np.asarray(accuracy, float), range(len(accuracy))
    lowest = float(np.nanmin(percent, initial=100.0))
    floor = nice_floor(max(0.0, lowest - max(100 - lowest, 0.5)))
    overall = 100 * (1 - errors.sum() / max(counts.sum(), 1))
    notes = [subject] + [f"the axis starts at {floor:g} %"] * (floor > 0)
    fig, ax = figure("Accuracy per digit", notes, 9, 4.2)
    bars = ax.bar(digits, np.nan_to_num(percent), width=0.6, color=BLUE)
    ax.bar_label(bars, ["" if np.isnan(v) else f"{v:.2f}" for v in percent], padding=3, size=9)
    ax.axhline(overall, color=ORANGE, linestyle="--", label=f"all digits: {overall:.2f} %")
    ax.set_xticks(digits, [f"{d}\n{errors[d]} / {counts[d]}" for d in digits])
    ax.set(ylim=(floor, 100.4), xlabel="digit (errors / images)", ylabel="accuracy (%)")
    ax.grid(axis="y")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1), borderaxespad=0.2)
    return fig


@STYLE
def misclassified_grid(images: np.ndarray, labels: np.ndarray, predictions: np.ndarray,
                       confidences: np.ndarray, indices: np.ndarray, subject: str, limit: int = 48,
                       columns: int = 8) -> Figure:
    """The mistakes as dark ink on white, captioned true -> predicted, confidence, test index."""
    shown = min(len(images), limit)
    rows = max(1, -(-shown // columns))
    note = (f"{shown} of {counted(len(images), 'mistake')}, most confident first; caption: "
            "true \u2192 predicted, confidence, test index" if shown else "no mistakes")
    fig, axes = figure("Misclassified digits", [subject, note], columns * 1.15, rows * 1.45, rows,
                       columns)
    for k, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if k < shown:
            ax.imshow(images[k], cmap="gray_r", vmin=0, vmax=255)
            ax.set_title(f"{labels[k]} \u2192 {predictions[k]}", color=RED, weight="bold", pad=3)
            ax.text(0.5, -0.06, f"{100 * confidences[k]:.1f} %  #{indices[k]}", ha="center",
                    va="top", size=8.5, color=GREY, transform=ax.transAxes)
    return fig


@STYLE
def reliability_diagram(confidence: np.ndarray, accuracy: np.ndarray, counts: np.ndarray,
                        ece: float, subject: str) -> Figure:
    """Accuracy against mean confidence in equal-width bins; the hatched gaps are the
    miscalibration that the ECE averages. Numbers over the bars: images in the bin."""
    notes = [subject, f"expected calibration error {100 * ece:.2f} % ({len(counts)} bins)"]
    fig, ax = figure("Reliability diagram", notes, 8, 5.6)
    filled, width = np.flatnonzero(counts), 1 / len(counts)
    x, acc, conf = (filled + 0.5) * width, accuracy[filled], confidence[filled]
    ax.bar(x, acc, width, color=BLUE, label="accuracy")
    ax.bar(x, conf - acc, width, bottom=acc, color="none", edgecolor=RED, hatch="////",
           label="gap to confidence")
    ax.plot([0, 1], [0, 1], "--", color=GREY, label="perfect calibration")
    for x_i, top, n in zip(x, np.maximum(acc, conf), counts[filled], strict=True):
        ax.annotate(f"{n / 1000:.1f}k" if n >= 1000 else str(n), (x_i, top), xytext=(0, 4),
                    textcoords="offset points", ha="center", size=8.5, color=GREY,
                    bbox={"color": "white", "pad": 0.2})
    ax.set(xlim=(0, 1), ylim=(0, 1.06), aspect="equal", xlabel="confidence (top probability)",
           ylabel="accuracy")
    ax.grid()
    ax.legend(loc="upper left", bbox_to_anchor=(1.03, 1))
    return fig


def accuracy_floor(train_acc: Sequence[float], val_acc: Sequence[float]) -> float:
    """Where the accuracy panel starts, fitted to the epochs after the first quarter of the run:
    the warm-up's low accuracies (an EMA starts near chance) would squash the part worth reading."""
    settled = len(train_acc) // 4
    return nice_floor(min([*train_acc[settled:], *val_acc[settled:]]))


@STYLE
def training_curves(history: Sequence[EpochRecord], subject: str,
                    exported: tuple[int, float, str] | None = None,
                    fine_tune_from: int = 0) -> Figure:
    """Loss and train/validation accuracy per epoch. A ring marks `exported` = (epoch, validation
    accuracy, what was exported), else the best validation epoch; a dashed line marks where a
    fine-tune began (`fine_tune_from`: the epochs of the run it started from)."""
    epochs = [r.epoch for r in history]
    train_acc, val_acc = [100 * r.train_acc for r in history], [100 * r.val_acc for r in history]
    best = int(np.argmax(val_acc))
    best_note = f"best validation accuracy {val_acc[best]:.2f} % at epoch {epochs[best]}"
    epoch, acc, what = exported or (epochs[best], val_acc[best] / 100, best_note)
    floor = accuracy_floor(train_acc, val_acc)
    notes = [f"{subject}; {counted(len(history), 'epoch')}", f"{what} (ringed)"]
    notes += [f"accuracies below {floor:g} % (early epochs) are off the axis"] * (
        min(train_acc + val_acc) < floor)
    fig, (loss_ax, acc_ax) = figure("Training curves", notes, 10.4, 3.9, columns=2)
    loss_ax.plot(epochs, [r.train_loss for r in history], ".-", color=BLUE)
    loss_ax.set(ylim=(0, None), ylabel="training loss (cross-entropy)")
    acc_ax.plot(epochs, train_acc, ".-", color=BLUE, label="training (augmented)")
    acc_ax.plot(epochs, val_acc, ".-", color=ORANGE, label="validation")
    acc_ax.plot(epoch, 100 * acc, "o", ms=13, mfc="none", mew=2, color=ORANGE, label="exported")
    acc_ax.set(ylim=(floor, 100), ylabel="accuracy (%)")
    for ax in (loss_ax, acc_ax):
        if fine_tune_from:
            ax.axvline(fine_tune_from + 0.5, color=GREY, linestyle="--",
                       label=f"fine-tune from epoch {fine_tune_from}")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
        ax.grid(axis="y")
    fig.legend(*acc_ax.get_legend_handles_labels(), loc="outside lower center", ncols=4)
    return fig


def save_figure(path: str | os.PathLike, fig: Figure) -> Path:
    """Write a figure atomically, as PNG, SVG or PDF by the path's extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: a report is {', '.join(FORMATS)}, not {suffix or 'unnamed'}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=suffix[1:], dpi=DPI)
    return atomic_write_bytes(path, buffer.getvalue())
