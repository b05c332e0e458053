"""Generated non-digits: reproducible, every kind in turn, specks small, the rest digit-sized."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from digitnet.data.scribbles import (
    BENCHMARK_SCRIBBLES,
    KINDS,
    LETTERS,
    SHAPES,
    SPECK_KINDS,
    TRAINING_SCRIBBLES,
    NonDigit,
    ScribbleStyle,
    generate_non_digits,
)
from digitnet.data.strokes import to_images
from digitnet.reading.reject import SPECK_MAX


def span_px(item: NonDigit) -> float:
    """The longer side of the strokes' bounding box, in canvas pixels (the brush not counted)."""
    points = np.concatenate(item.sketch.strokes) * np.array(item.sketch.size)
    return float(np.ptp(points, axis=0).max())


@pytest.mark.parametrize("style", [TRAINING_SCRIBBLES, BENCHMARK_SCRIBBLES])
def test_the_same_seed_gives_the_same_drawings_and_another_seed_others(
    style: ScribbleStyle,
) -> None:
    first, again, other = (generate_non_digits(45, seed, style) for seed in (3, 3, 4))
    assert [d.kind for d in first] == [KINDS[i % len(KINDS)] for i in range(45)]
    for a, b in zip(first, again, strict=True):
        assert a.sketch.size == b.sketch.size and a.sketch.brush == b.sketch.brush
        assert all(
            np.array_equal(s, t) for s, t in zip(a.sketch.strokes, b.sketch.strokes, strict=True)
        )
    np.testing.assert_array_equal(
        to_images(d.sketch for d in first), to_images(d.sketch for d in again)
    )
    assert not np.array_equal(
        to_images(d.sketch for d in first), to_images(d.sketch for d in other)
    )


@pytest.mark.parametrize("style", [TRAINING_SCRIBBLES, BENCHMARK_SCRIBBLES])
def test_specks_are_small_and_everything_else_is_digit_sized(style: ScribbleStyle) -> None:
    for item in generate_non_digits(270, 0, style):
        side = min(item.sketch.size)
        points = np.concatenate(item.sketch.strokes)
        assert points.dtype == np.float32 and (points >= 0).all() and (points <= 1).all()
        if item.kind in SPECK_KINDS:
            assert span_px(item) <= SPECK_MAX * side, item.kind
        else:
            assert span_px(item) >= 0.25 * side, item.kind  # the style's smallest size is 0.3


def test_specks_leave_little_ink_on_the_canvas() -> None:
    specks = generate_non_digits(40, 1, replace(TRAINING_SCRIBBLES, kinds=SPECK_KINDS))
    for item in specks:
        canvas = item.sketch.render()
        rows, columns = np.nonzero(canvas.any(axis=1))[0], np.nonzero(canvas.any(axis=0))[0]
        ink = max(np.ptp(rows), np.ptp(columns)) + 1
        brush = item.sketch.brush * min(item.sketch.size)
        assert ink <= SPECK_MAX * min(item.sketch.size) + brush + 3


def test_training_and_benchmark_draw_from_disjoint_templates() -> None:
    assert not set(TRAINING_SCRIBBLES.letters) & set(BENCHMARK_SCRIBBLES.letters)
    assert not set(TRAINING_SCRIBBLES.shapes) & set(BENCHMARK_SCRIBBLES.shapes)
    for style in (TRAINING_SCRIBBLES, BENCHMARK_SCRIBBLES):
        assert set(style.letters) <= set(LETTERS) and set(style.shapes) <= set(SHAPES)
    # the letters a person may mean as digits are not templates at all
    assert not set("BCDGIJLOPSUZabegqylr") & set(LETTERS)


def test_every_drawing_renders_to_an_image_with_ink() -> None:
    images = to_images(d.sketch for d in generate_non_digits(27, 2))
    assert images.shape == (27, 28, 28) and images.dtype == np.uint8
    assert (images.max(axis=(1, 2)) == 255).all()


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="doodle"):
        generate_non_digits(1, 0, replace(TRAINING_SCRIBBLES, kinds=("doodle",)))
