"""Putting strokes on a canvas the way people draw, and reading them as the app does."""

from __future__ import annotations

import numpy as np

from digitnet.common.sketch import DEFAULT_BRUSH, Sketch
from digitnet.data.strokes import (
    APP_CANVAS_PX,
    APP_STYLE,
    TRAINING_STYLE,
    CanvasStyle,
    lay_out,
    to_image,
)

SEVEN = [
    np.array([[0, 0], [40, 0], [15, 90]], np.float32),
    np.array([[10, 45], [40, 45]], np.float32),
]


def ink_box(canvas: np.ndarray) -> tuple[int, int, int, int]:
    rows, columns = np.nonzero(canvas.any(axis=1))[0], np.nonzero(canvas.any(axis=0))[0]
    return int(columns[0]), int(rows[0]), int(columns[-1]), int(rows[-1])


def test_the_app_style_is_the_apps_default_canvas_and_brush_with_the_drawing_kept_whole() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        sketch = lay_out(SEVEN, rng, APP_STYLE)
        assert sketch.size == (APP_CANVAS_PX, APP_CANVAS_PX) and sketch.brush == DEFAULT_BRUSH
        points = np.concatenate(sketch.strokes) * APP_CANVAS_PX
        height = np.ptp(points[:, 1])
        assert (
            0.45 * APP_CANVAS_PX - 1e-3 <= height <= 0.75 * APP_CANVAS_PX + 1e-3
        )  # a 7 is taller than wide
        # no slant or rotation: the shape is the writer's, only scaled
        np.testing.assert_allclose(np.ptp(points[:, 0]) / height, 40 / 90, rtol=1e-4)
        left, top, right, bottom = ink_box(sketch.render())
        assert left > 0 and top > 0 and right < APP_CANVAS_PX - 1 and bottom < APP_CANVAS_PX - 1


def test_the_training_style_varies_canvas_brush_size_and_slant_within_its_ranges() -> None:
    rng = np.random.default_rng(1)
    sketches = [lay_out(SEVEN, rng, TRAINING_STYLE) for _ in range(200)]
    widths = np.array([s.size[0] for s in sketches])
    brushes = np.array([s.brush for s in sketches])
    assert widths.min() >= 200 and widths.max() <= 800 and np.ptp(widths) > 400
    assert brushes.min() >= 0.025 and brushes.max() <= 0.1 and np.ptp(brushes) > 0.04
    ratios = [
        np.ptp(np.concatenate(s.strokes)[:, 0] * s.size[0])
        / np.ptp(np.concatenate(s.strokes)[:, 1] * s.size[1])
        for s in sketches
    ]
    assert np.ptp(ratios) > 0.2  # slanted and rotated, so the width-to-height ratio varies
    for sketch in sketches[:40]:
        assert (np.concatenate(sketch.strokes) >= 0).all() and (
            np.concatenate(sketch.strokes) <= 1
        ).all()


def test_a_sketch_reads_as_the_canvas_transform_says() -> None:
    sketch = lay_out(
        SEVEN, np.random.default_rng(2), CanvasStyle(canvas_px=(300, 300), aspect=(1, 1))
    )
    image = to_image(sketch)
    assert image.shape == (28, 28) and image.dtype == np.uint8 and image.max() == 255
    rows, columns = np.indices(image.shape)
    mass = image.astype(np.float64) / image.sum()
    assert (
        abs((rows * mass).sum() - 14) < 1 and abs((columns * mass).sum() - 14) < 1
    )  # centre of mass
    blank = Sketch((), (100, 100), DEFAULT_BRUSH)
    assert to_image(blank).max() == 0
