"""The numbers benchmark's composers (bench/number_synthesis.py): numbers carry the right labels,
in order, at the gaps they say, from one writer each; no model reads them. Weights that learnt
the writers asked for are refused."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import cv2
import number_synthesis as synthesis
import numpy as np
import pytest

from digitnet import DigitnetError
from digitnet.common.errors import run_entry_point
from digitnet.common.sketch import DEFAULT_BRUSH, Sketch, brush_pixels
from digitnet.data.pendigits import BENCHMARK_WRITERS, TRAINING_WRITERS, PenSample, writer_folds
from digitnet.data.strokes import APP_CANVAS_PX

BENCH = Path(__file__).resolve().parents[2] / "bench" / "written_numbers.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("written_numbers", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def labelled_stroke(label: int) -> np.ndarray:
    """A one-stroke 'digit' whose width / height (label + 1) / 10 names its label."""
    return np.array([[0.0, 0.0], [label + 1.0, 5.0], [0.0, 10.0]], np.float32) * 20


def pen_file(writers: tuple[int, ...]) -> list[PenSample]:
    return [PenSample(label, writer, (labelled_stroke(label) + writer,))
            for writer in writers for label in range(10)]


def stroke_boxes(sketch: Sketch) -> np.ndarray:
    """Each stroke's (left, right, width / height) in pixels."""
    width, height = sketch.size
    boxes = []
    for stroke in sketch.strokes:
        pixels = stroke * np.array([width, height])
        extent = np.ptp(pixels, axis=0)
        boxes.append((pixels[:, 0].min(), pixels[:, 0].max(), extent[0] / extent[1]))
    return np.array(boxes)


def test_pen_numbers_are_one_held_out_writers_digits_in_order(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(synthesis, "SLANT", 0.0)  # a slant would change the widths naming labels
    samples = pen_file(BENCHMARK_WRITERS + TRAINING_WRITERS[:2])
    cases = list(synthesis.pen_cases(samples, [1, 4, 6], 8, seed=3))
    assert [len(c.truth) for c in cases] == [1] * 8 + [4] * 8 + [6] * 8
    assert [c.bucket for c in cases[:8]] == list(synthesis.GAPS) * 2
    for case in cases:
        assert case.origin in {f"writer {w}" for w in BENCHMARK_WRITERS}
        assert case.sketch is not None  # a pen number is strokes
        assert case.sketch.size[1] == APP_CANVAS_PX and case.sketch.size[0] >= APP_CANVAS_PX
        assert case.sketch.brush == DEFAULT_BRUSH
        boxes = stroke_boxes(case.sketch)
        assert "".join(str(round(10 * r) - 1) for r in boxes[:, 2]) == case.truth
        assert (np.diff(boxes[:, 0]) > 0).all()  # left to right
        assert case.groups == tuple([k] for k in range(len(case.truth)))  # a stroke a digit
        np.testing.assert_allclose(case.centres, boxes[:, :2].mean(1), atol=1e-3)
        assert case.image.shape == case.sketch.size[::-1] and case.image[0, 0] == 255
    assert len({c.truth for c in cases}) > 20  # the digits vary
    again = list(synthesis.pen_cases(samples, [6], 8, seed=3))
    assert [c.truth for c in again] == [c.truth for c in cases[16:]]  # each length its own seed


def test_a_tuning_fold_takes_only_its_own_writers():
    fold = writer_folds()[1].heldout
    samples = pen_file(BENCHMARK_WRITERS + TRAINING_WRITERS)
    cases = list(synthesis.pen_cases(samples, [3], 40, seed=5, writers=fold))
    assert {c.origin for c in cases} == {f"writer {w}" for w in fold}
    with pytest.raises(DigitnetError, match="lacks some of the writers"):
        list(synthesis.pen_cases(pen_file(BENCHMARK_WRITERS), [3], 1, seed=5, writers=fold))


def test_weights_that_learnt_the_folds_writers_are_refused(bench: ModuleType,
                                                           capsys: pytest.CaptureFixture[str]):
    """The shipped weights learnt every training writer: no tuning fold can measure them."""
    assert run_entry_point(lambda: bench.main(["--fold", "1", "--count", "1"])) == 2
    assert "learned from the writers" in capsys.readouterr().err


def test_pen_gaps_between_inks_are_the_layouts():
    samples = [PenSample(label, 5, (labelled_stroke(label),)) for label in (3, 0, 9)]
    gaps = (-0.05, 0.0, 0.5)
    for gap in gaps:
        layout = synthesis.Layout("test", (gap, gap), 0.0, 0.0, (0.0,) * 3, (1.0,) * 3)
        sketch = synthesis.compose_pen(samples, layout, np.random.default_rng(0))
        boxes = stroke_boxes(sketch)
        height = np.ptp(sketch.strokes[0][:, 1]) * APP_CANVAS_PX
        brush = brush_pixels(DEFAULT_BRUSH, APP_CANVAS_PX)
        ink_gaps = (boxes[1:, 0] - boxes[:-1, 1] - brush) / height  # the brush widens each side
        np.testing.assert_allclose(ink_gaps, gap, atol=1e-3)


def test_mnist_numbers_are_consecutive_test_digits_apart_on_white():
    images = np.zeros((30, 28, 28), np.uint8)
    for i in range(30):  # a bar per digit, its width growing with the label
        images[i, 4:24, 10:13 + i % 10] = 255
    labels = np.arange(30) % 10
    cases = list(synthesis.mnist_cases(images, labels, [2, 5], 4, seed=1))
    assert [len(c.truth) for c in cases] == [2] * 4 + [5] * 4
    for case in cases:
        first = int(case.origin.split("#")[1].split("-")[0])
        assert case.truth == "".join(str(labels[(first + k) % 30]) for k in range(len(case.truth)))
        assert case.image.dtype == np.uint8 and case.image[0, 0] == 255 and case.image.min() < 64
        if case.bucket in ("normal", "wide"):
            count, parts = cv2.connectedComponents((case.image < 128).astype(np.uint8))
            assert count - 1 == len(case.truth)  # less the background
            middle = parts[parts.shape[0] // 2]  # the bars' middle row, through every digit
            found = [int(middle[round(x)]) for x in case.centres]
            assert all(found) and len(set(found)) == len(found)  # each centre on its own digit
