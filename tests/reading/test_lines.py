"""Lines found on generated pages: as many as written, top to bottom, turned level within a
few degrees, each cut to the reader's height; ruled lines are no text; ink no line took is
reported; the crops other readers get are level and dark on light; a crop known to hold one
digit gives the ink it is centred on."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from shapes import template_hands

from digitnet.common.line_format import LINE_HEIGHT
from digitnet.data.pages import PageSpec, make_page
from digitnet.data.paper import BENCHMARK_PAGES
from digitnet.data.strings import TRAINING_STRINGS, glyph_coverage
from digitnet.reading.crops import centred_ink, line_crop
from digitnet.reading.line_geometry import transform_points
from digitnet.reading.line_matching import match_lines
from digitnet.reading.lines import find_lines


def page_of(texts: tuple[str, ...], tilt: float, conditions: frozenset[str] = frozenset(),
            seed: int = 0):
    rng = np.random.default_rng(seed)
    return make_page(rng, template_hands(), PageSpec(texts, "natural", tilt, conditions),
                     TRAINING_STRINGS, BENCHMARK_PAGES)


@pytest.mark.parametrize("tilt", [0.0, 12.0, -20.0, 28.0])
@pytest.mark.parametrize("texts", [("20260415",), ("31415", "926.53"), ("12", "345", "6789")])
def test_lines_are_found_top_to_bottom_and_turned_level(texts, tilt):
    page = page_of(texts, tilt)
    lines = find_lines(page.image)
    assert len(lines.lines) == len(texts)
    assert match_lines([line.corners for line in page.lines], lines) == list(range(len(texts)))
    assert abs(lines.tilt - tilt) < 3.0
    for line in lines.lines:
        assert line.image.shape[0] == LINE_HEIGHT and line.image.dtype == np.float32
        assert 0.0 <= line.image.min() and line.image.max() <= 1.0
        assert line.image.max() > 0.6  # its ink, at about its own full contrast
    middles = [line.box.top + line.box.height / 2 for line in lines.lines]
    assert middles == sorted(middles)


def test_a_line_image_maps_back_onto_its_ink_on_the_page():
    page = page_of(("4096",), 15.0)
    (line,) = find_lines(page.image).lines
    rows, cols = np.nonzero(line.image > 0.5)
    on_page = np.round(transform_points(np.stack([cols, rows], 1), line.to_page)).astype(int)
    darkness = page.image[on_page[:, 1], on_page[:, 0]]
    assert np.median(darkness) < 0.6 * np.median(page.image)


@pytest.mark.parametrize("condition", ["ruled", "grid", "inverted", "shadow"])
def test_paper_conditions_leave_the_lines_as_written(condition):
    page = page_of(("8051", "77"), 6.0, frozenset({condition}), seed=3)
    lines = find_lines(page.image)
    assert len(lines.lines) == 2
    assert lines.dark_ink == (condition != "inverted")


def test_a_blank_page_has_no_lines():
    lines = find_lines(np.full((480, 640), 230, np.uint8))
    assert lines.lines == () and lines.ignored == ()


def test_ink_no_line_took_is_reported():
    page = page_of(("5150",), 0.0, seed=4)
    image = page.image.copy()
    ink = int(np.percentile(image, 0.1))  # a blot in the same ink, far taller than a digit
    cv2.circle(image, (540, 360), 80, ink, -1)
    lines = find_lines(image)
    assert len(lines.lines) == 1
    assert any(box.left <= 540 <= box.right and box.height >= 160 for box in lines.ignored)


def test_other_readers_get_the_line_level_and_dark_on_light():
    page = page_of(("1234567",), 0.0, frozenset({"inverted"}), seed=5)
    lines = find_lines(page.image)
    (line,) = lines.lines
    crop = line_crop(page.image, lines, line)
    assert crop.dtype == np.uint8
    assert np.median(crop) > 150 and crop.min() < 100  # light paper, dark ink
    assert crop.shape[1] > 3 * crop.shape[0]


def test_a_crop_is_read_as_the_digit_it_is_centred_on_not_its_neighbours_fragments():
    hand = template_hands().by_source["templates"][0]
    rng = np.random.default_rng(6)
    ink = [glyph_coverage(hand.digits[d][0], 40.0, 4.0, rng, TRAINING_STRINGS.ink)
           for d in (7, 0, 4, 8)]
    cover = np.zeros((70, 70), np.float32)

    def put(glyph: np.ndarray, top: int, left: int) -> None:
        rows = slice(max(top, 0), min(top + glyph.shape[0], 70))
        cols = slice(max(left, 0), min(left + glyph.shape[1], 70))
        window = glyph[rows.start - top:rows.stop - top, cols.start - left:cols.stop - left]
        np.maximum(cover[rows, cols], window, out=cover[rows, cols])

    put(ink[0], 15, 35 - ink[0].shape[1] // 2)  # the 7, in the middle
    put(ink[1], 15, -ink[1].shape[1] // 2)  # half a 0 at the left edge
    put(ink[2], 15, 70 - ink[2].shape[1] // 3)  # a third of a 4 at the right
    put(ink[3], -30, 30)  # the foot of an 8 from the row above
    image = np.round(255 - 200 * cover).astype(np.uint8)
    found = centred_ink(image)
    assert found is not None
    box = found.box
    assert abs(box.left + box.width / 2 - 35) <= 2 and 34 <= box.height <= 44
    assert box.top >= 12 and box.width <= ink[0].shape[1] + 2
    assert centred_ink(np.full((70, 70), 240, np.uint8)) is None
