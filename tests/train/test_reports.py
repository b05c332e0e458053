"""The evaluation reports: what each figure shows, that its labels do not collide, and saving."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from digitnet.common.digits import IMAGE_SIZE, NUM_CLASSES
from digitnet.model.weights import EpochRecord
from digitnet.train import reports

HISTORY = [EpochRecord(e, 2 / e, min(0.5 + e / 20, 0.985), min(0.6 + e / 20, 0.993))
           for e in range(1, 21)]


def good_confusion(seed: int = 0) -> np.ndarray:
    """A model at about 99 %: a thousand images a digit, a few scattered mistakes."""
    rng = np.random.default_rng(seed)
    confusion = rng.poisson(0.3, (NUM_CLASSES, NUM_CLASSES))
    np.fill_diagonal(confusion, 0)
    np.fill_diagonal(confusion, 1000 - confusion.sum(axis=1))
    return confusion


def drawn_texts(fig: Figure) -> list[Text]:
    """The non-empty texts that drawing the figure draws (not hidden axes' or clipped ticks')."""
    drawn, draw = [], Text.draw

    def record(text: Text, renderer) -> None:
        drawn.append(text)
        draw(text, renderer)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Text, "draw", record)
        fig.draw_without_rendering()
    return [t for t in drawn if t.get_visible() and t.get_text().strip()]


def collisions(texts: list[Text]) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap by more than a pixel each way."""
    boxes = [(t.get_text(), t.get_window_extent().padded(-1)) for t in texts]
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
            if box_a.overlaps(box_b)]


def outside(fig: Figure, texts: list[Text]) -> list[str]:
    """The texts that stick out of the figure, cut off at its edge."""
    frame = fig.bbox.padded(1)
    boxes = [(t.get_text(), t.get_window_extent()) for t in texts]
    return [text for text, box in boxes if box.union([box, frame]).bounds != frame.bounds]


def every_report(confusion: np.ndarray, fine_tune_from: int = 0) -> dict[str, Figure]:
    rng = np.random.default_rng(1)
    counts = confusion.sum(axis=1)
    errors = counts - np.diag(confusion)
    wrong = 37
    confidence = np.linspace(0.05, 1, 15) - 0.02
    return {
        "confusion": reports.confusion_heatmap(confusion, "model, 10,000 images"),
        "per_class": reports.per_class_bars(np.diag(confusion) / counts, errors, counts, "model"),
        "misclassified": reports.misclassified_grid(
            rng.integers(0, 256, (wrong, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8),
            rng.integers(0, 10, wrong), rng.integers(0, 10, wrong), rng.random(wrong),
            rng.integers(0, 10_000, wrong), "model"),
        "reliability": reports.reliability_diagram(
            confidence, np.clip(confidence + rng.normal(0, 0.1, 15), 0, 1),
            np.array([0, 0, 0, 0, 0, 0, 3, 8, 13, 40, 90, 150, 300, 900, 9800]), 0.0123, "model"),
        "curves": reports.training_curves(HISTORY, "model, from the weights file",
                                          (18, 0.992, "exported: epoch 18"), fine_tune_from),
    }


def test_the_collision_check_sees_overlapping_and_cut_off_labels():
    fig = Figure((4, 3))
    fig.text(0.5, 0.5, "one label")
    fig.text(0.52, 0.5, "another")
    fig.text(0.1, 0.2, "apart")
    fig.text(0.9, 0.9, "cut off at the edge")
    texts = drawn_texts(fig)
    assert collisions(texts) == [("one label", "another")]
    assert outside(fig, texts) == ["cut off at the edge"]


@pytest.mark.parametrize("quality", ["good", "bad"])
def test_no_label_collides_with_another_or_leaves_the_figure(quality):
    rng = np.random.default_rng(2)
    confusion = good_confusion() if quality == "good" else rng.integers(0, 120, (10, 10))
    for name, fig in every_report(confusion, fine_tune_from=12).items():
        texts = drawn_texts(fig)
        assert len(texts) > 10, name
        assert collisions(texts) == [], name
        assert outside(fig, texts) == [], name


def test_confusion_heatmap_writes_every_count_and_scales_its_colour_bar_to_the_worst_mistake():
    confusion = good_confusion()
    confusion[9, 4] = 17
    fig = reports.confusion_heatmap(confusion, "model")
    matrix, bar = fig.axes
    written = [int(t.get_text()) for t in matrix.texts]
    assert written == confusion.flatten().tolist()
    assert bar.get_ylabel() == "misread images" and bar.get_ylim() == (0, 17)


def test_per_class_bars_show_each_accuracy_on_a_zoomed_axis_and_leave_an_empty_class_blank():
    accuracy = np.array([0.998, 0.9947, 0.999, 0.999, 0.999, 0.9966, 0.998, 0.997, 0.999, np.nan])
    counts = np.array([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 0])
    errors = np.array([2, 6, 1, 1, 1, 3, 2, 3, 1, 0])
    fig = reports.per_class_bars(accuracy, errors, counts, "model")
    ax = fig.axes[0]
    heights = [bar.get_height() for bar in ax.patches]
    np.testing.assert_allclose(heights, np.nan_to_num(100 * accuracy))
    labels = [t.get_text() for t in ax.texts]
    assert labels[:2] == ["99.80", "99.47"] and labels[-1] == ""
    assert ax.get_ylim()[0] == 98.5
    assert any("the axis starts at 98.5 %" in t.get_text() for t in fig.texts)
    assert ax.get_xticklabels()[1].get_text() == "1\n6 / 1135"


def test_misclassified_grid_shows_at_most_limit_digits_captioned_true_to_predicted():
    images = np.zeros((5, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    fig = reports.misclassified_grid(images, np.array([5, 7, 0, 1, 2]), np.array([6, 1, 6, 6, 7]),
                                     np.full(5, 0.9), np.arange(5), "model", limit=3, columns=2)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 4 and len(shown) == 3
    assert [ax.get_title() for ax in shown] == ["5 \u2192 6", "7 \u2192 1", "0 \u2192 6"]
    assert any("3 of 5 mistakes" in t.get_text() for t in fig.texts)
    empty = reports.misclassified_grid(images[:0], *(np.array([], int),) * 2, np.array([]),
                                       np.array([], int), "model")
    assert any(t.get_text() == "no mistakes" for t in empty.texts)
    one = reports.misclassified_grid(images[:1], np.array([5]), np.array([6]), np.full(1, 0.9),
                                     np.arange(1), "model")
    assert any("1 of 1 mistake, most" in t.get_text() for t in one.texts)


def test_reliability_diagram_draws_accuracy_and_the_gap_to_confidence_of_the_filled_bins():
    counts = np.array([0, 5, 1200])
    fig = reports.reliability_diagram(np.array([np.nan, 0.5, 0.95]), np.array([np.nan, 0.2, 0.97]),
                                      counts, 0.02, "model")
    ax = fig.axes[0]
    accuracy, gaps = ax.containers
    assert [b.get_height() for b in accuracy] == pytest.approx([0.2, 0.97])
    assert [b.get_y() for b in gaps] == pytest.approx([0.2, 0.97])
    assert [b.get_height() for b in gaps] == pytest.approx([0.3, -0.02])
    assert [t.get_text() for t in ax.texts] == ["5", "1.2k"]
    assert any("2.00 %" in t.get_text() for t in fig.texts)


def dashed_lines_at(fig: Figure) -> list[float]:
    dashed = [line for ax in fig.axes for line in ax.lines if line.get_linestyle() == "--"]
    return [float(np.asarray(line.get_xdata())[0]) for line in dashed]


def test_training_curves_ring_the_exported_epoch_and_mark_where_a_fine_tune_began():
    fine_tuned = reports.training_curves(HISTORY, "s", (18, 0.992, "exported: epoch 18"), 12)
    assert dashed_lines_at(fine_tuned) == [12.5, 12.5]  # both panels
    ring = [line for line in fine_tuned.axes[1].lines if line.get_label() == "exported"][0]
    assert (ring.get_xdata()[0], ring.get_ydata()[0]) == pytest.approx((18, 99.2))
    assert dashed_lines_at(reports.training_curves(HISTORY, "s", (18, 0.992, "e"))) == []
    best = reports.training_curves(HISTORY[:5], "s")  # no export given: the best validation epoch
    ring = [line for line in best.axes[1].lines if line.get_label() == "exported"][0]
    assert ring.get_xdata()[0] == 5
    assert any("best validation accuracy 85.00 % at epoch 5" in t.get_text() for t in best.texts)
    assert "s; 1 epoch" in [t.get_text() for t in reports.training_curves(HISTORY[:1], "s").texts]


def test_accuracy_axis_ignores_the_warm_up_but_not_later_dips():
    warm_up = [10.0, 60.0, 99.0, 99.2, 99.3, 99.4, 99.5, 99.5]
    assert reports.accuracy_floor(warm_up, warm_up) == 99.0
    dip = warm_up[:6] + [97.6, 99.5]
    assert reports.accuracy_floor(dip, warm_up) == 97.5
    assert reports.accuracy_floor([42.0], [40.0]) == 40.0  # one epoch: nothing to leave out


MAGIC = [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")]


@pytest.mark.parametrize("suffix, magic", MAGIC)
def test_save_figure_writes_the_format_its_extension_names_and_nothing_else(tmp_path, suffix,
                                                                           magic):
    path = reports.save_figure(tmp_path / f"curves{suffix}", reports.training_curves(HISTORY, "s"))
    assert path.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_save_figure_refuses_an_unknown_extension(tmp_path):
    with pytest.raises(ValueError, match="not .jpg"):
        reports.save_figure(tmp_path / "curves.jpg", reports.training_curves(HISTORY, "s"))
    assert list(tmp_path.iterdir()) == []


def test_evaluate_imports_matplotlib_only_when_it_draws_reports():
    code = "import sys, digitnet.train.evaluate; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (result.returncode, result.stdout.strip()) == (0, "False"), result.stderr
