"""Pen strokes written in ink on a scanned page: tapered, swelling, dark on paper, reproducible."""

from __future__ import annotations

import numpy as np

from digitnet.data.ink import TRAINING_INK, InkStyle, ink_all, ink_page, resample, widths

STROKES = (np.array([[0, 0], [10, 0], [10, 20], [0, 20]], np.float32),)


def test_resampling_walks_the_polyline_at_even_steps():
    points, length = resample(np.array([[0.0, 0.0], [3.0, 0.0], [3.0, 4.0]]), 1.0)
    assert len(points) == 8 and np.allclose(np.diff(length), 1.0)
    assert np.allclose(points[3], [3, 0]) and np.allclose(points[-1], [3, 4])
    dot, at = resample(np.array([[2.0, 2.0]]), 1.0)
    assert len(dot) == 1 and at[0] == 0


def test_the_pen_is_thinner_where_it_lands_and_lifts():
    rng = np.random.default_rng(0)
    for _ in range(20):
        profile = widths(np.linspace(0, 50, 101), rng, TRAINING_INK)
        assert profile[0] < profile[50] and profile[-1] < profile[50]
        assert profile.min() > 0


def test_a_page_is_dark_ink_on_light_paper_of_the_styles_tones():
    style = InkStyle(paper=(0.9, 0.9), shading=(0, 0), ink=(0.1, 0.1), noise=(0, 0))
    page = ink_page(STROKES, np.random.default_rng(1), style)
    assert page.dtype == np.uint8
    assert abs(int(np.median(page)) - round(0.9 * 255)) <= 1
    assert page.min() < 0.5 * 255


def test_ink_becomes_the_networks_input_the_same_way_every_time():
    first, again = (ink_all([STROKES, STROKES], TRAINING_INK, seed=5) for _ in range(2))
    np.testing.assert_array_equal(first, again)
    assert first.shape == (2, 28, 28) and (first.max(axis=(1, 2)) == 255).all()
    assert not np.array_equal(first[0], first[1])  # each drawing its own pen and paper
