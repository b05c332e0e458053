"""Synthetic strings and pages: one writer a page, training writers only in training, the
spacing asked for, the number's digits, and each line's box on the ink."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
from helpers import shared_file
from shapes import template_hands

from digitnet.common.line_format import SEPARATORS
from digitnet.data.hands import COVERED, load_hands
from digitnet.data.pages import PageSpec, make_page, pick_spec
from digitnet.data.paper import BENCHMARK_PAGES, TRAINING_PAGES
from digitnet.data.strings import FORMATS, TRAINING_STRINGS, pick_text, write_line


def test_the_folds_hands_share_no_writer_and_training_pages_use_training_writers_only():
    for source in ("cvl", "unipen-digits"):
        shared_file(source)  # present, else skipped (or failed in CI)
    hands = {fold: load_hands(fold, sources=("cvl", "unipen-digits"), others=("scribbles",))
             for fold in ("train", "tune", "benchmark")}
    writers = {fold: h.writers() for fold, h in hands.items()}
    assert all(writers.values())
    assert not writers["train"] & writers["benchmark"]
    assert not writers["train"] & writers["tune"]
    assert not writers["tune"] & writers["benchmark"]
    rng = np.random.default_rng(0)
    for _ in range(20):
        spec = pick_spec(rng, TRAINING_STRINGS, TRAINING_PAGES)
        page = make_page(rng, hands["train"], spec, TRAINING_STRINGS, TRAINING_PAGES)
        assert page.hand in writers["train"]


def test_numbers_have_the_digits_asked_for_in_every_format():
    rng = np.random.default_rng(1)
    for way in FORMATS:
        style = replace(TRAINING_STRINGS, formats={way: 1.0})
        for digits in range(1, 11):
            text = pick_text(rng, digits, style)
            assert sum(c.isdigit() for c in text) == digits
            assert set(text) <= set("0123456789" + SEPARATORS)
            assert text[0].isdigit() and text[-1].isdigit()


def pieces(ink: np.ndarray) -> int:
    return cv2.connectedComponents((ink > COVERED).astype(np.uint8), connectivity=8)[0] - 1


@pytest.mark.parametrize("spacing, touching", [("natural", False), ("touching", True),
                                               ("overlapping", True)])
def test_neighbours_are_spaced_as_asked_by_their_closest_strokes(spacing, touching):
    hands = template_hands()
    style = replace(TRAINING_STRINGS, slant=0.0, drift=0.0, wobble=0.0, size_spread=0.0)
    for seed in range(5):
        rng = np.random.default_rng(seed)
        line = write_line("1047", hands.by_source["templates"][0], hands.others, 40.0,
                          spacing, rng, style)
        assert (pieces(line.coverage) == 1) == touching


def test_a_tilted_page_of_two_lines_has_each_line_box_on_its_ink():
    hands = template_hands()
    rng = np.random.default_rng(2)
    spec = PageSpec(("2026", "15"), "natural", 20.0)
    page = make_page(rng, hands, spec, TRAINING_STRINGS, BENCHMARK_PAGES)
    assert page.image.shape == (480, 640)
    assert [line.text for line in page.lines] == ["2026", "15"]
    ink = page.image < 0.5 * float(np.median(page.image))
    inside = np.zeros_like(ink)
    for line in page.lines:
        corners = np.round(line.corners).astype(np.int32)
        cv2.fillPoly(inside.view(np.uint8), [corners], 1)
        top_right, top_left = line.corners[1], line.corners[0]
        angle = np.degrees(np.arctan2(top_left[1] - top_right[1], top_right[0] - top_left[0]))
        assert abs(angle - 20.0) < 0.5  # tilted counter-clockwise, as asked
    assert ink.sum() > 200 and (ink & ~inside.astype(bool)).sum() < 0.02 * ink.sum()
    assert page.lines[0].corners[:, 1].mean() < page.lines[1].corners[:, 1].mean()
