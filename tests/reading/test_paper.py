"""find_digits on generated pages: paper photos with noise, lighting, ruled lines, separators
and a table edge, and clean canvases; the expected boxes are where each digit was drawn."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from shapes import PEN_DIGITS

from digitnet import DigitnetError
from digitnet.common.box import Box
from digitnet.common.sketch import render_strokes
from digitnet.data.mnist import load_mnist
from digitnet.reading.paper.digits import candidate_parts, find_digits
from digitnet.reading.preprocess import Ink, find_ink, frame_ink
from digitnet.reading.reject import is_speck
from digitnet.reading.stretch import Stretch

WIDTH = 0.6  # a digit's width for its height


def ink_page(number: str, size: tuple[int, int], left: int, top: int, height: int,
             gap: int, stroke: int) -> tuple[np.ndarray, list[Box]]:
    """White-on-black ink of the number (float32 in [0, 1]) and each digit's ink box."""
    width = round(WIDTH * height)
    ink = np.zeros((size[1], size[0]), np.float32)
    boxes = []
    for index, char in enumerate(number):
        x0 = left + index * (width + gap)
        strokes = [np.array([(x0 + x * width, top + y * height) for x, y in line])
                   / np.array(size, float) for line in PEN_DIGITS[char]]
        digit = render_strokes(strokes, size, stroke / min(size))
        boxes.append(Box(*cv2.boundingRect(np.asarray(digit > 0.15 * 255, np.uint8))))
        ink = np.maximum(ink, digit.astype(np.float32) / 255)
    return ink, boxes


def photo(ink: np.ndarray, rng: np.random.Generator, *, lines: bool = True,
          table: bool = True, noise: float = 8.0) -> np.ndarray:
    """The ink written dark on grey, unevenly lit paper with ruled lines, a dark table strip
    at the left, blur, camera noise and JPEG: uint8 gray."""
    height, width = ink.shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    paper = 0.78 * (1 - 0.35 * xs / width) * (1 - 0.2 * (ys / height - 0.4) ** 2)
    if lines:
        for y in range(30, height, 48):
            cv2.line(paper, (0, y), (width, y + 5), 0.5, 2, cv2.LINE_AA)
    page = paper * (1 - 0.85 * ink)
    if table:
        page[:, : width // 16] = 0.12
    page = cv2.GaussianBlur(page, (3, 3), 0.8) * 255 + rng.normal(0, noise, page.shape)
    encoded = cv2.imencode(".jpg", np.clip(page, 0, 255).astype(np.uint8),
                           [cv2.IMWRITE_JPEG_QUALITY, 80])[1]
    return np.asarray(cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE))


def assert_boxes(parts: list[Ink], boxes: list[Box], slack: int) -> None:
    """One part per digit, left to right, each within `slack` pixels of where it was drawn."""
    found = [(p.box.left, p.box.top, p.box.right, p.box.bottom) for p in parts]
    drawn = [(b.left, b.top, b.right, b.bottom) for b in boxes]
    assert len(found) == len(drawn), (found, drawn)
    for got, want in zip(found, drawn, strict=True):
        assert max(abs(g - w) for g, w in zip(got, want, strict=True)) <= slack, (found, drawn)


@pytest.mark.parametrize("number", ["2026", "417", "35", "7"])
def test_digits_on_a_paper_photo_are_found_left_to_right(number):
    rng = np.random.default_rng(len(number))
    ink, boxes = ink_page(number.replace("6", "0"), (640, 480), 90, 210, 64, 22, 7)
    parts = find_digits(photo(ink, rng))
    assert_boxes(parts, boxes, slack=6)
    for part in parts:
        assert part.crop.dtype == np.float32 and part.crop.max() == pytest.approx(1.0)
        assert part.mask.shape == part.crop.shape == (part.box.height, part.box.width)
        assert not is_speck(part)


def test_a_separator_and_specks_are_not_parts():
    rng = np.random.default_rng(7)
    ink, boxes = ink_page("1205", (640, 480), 90, 210, 64, 26, 7)
    between = (boxes[1].right + boxes[2].left) // 2
    cv2.circle(ink, (between, boxes[1].bottom - 4), 5, 1.0, -1)  # "12.05"
    cv2.circle(ink, (520, 90), 3, 1.0, -1)  # a speck on the paper
    parts = find_digits(photo(ink, rng, lines=False))
    assert_boxes(parts, boxes, slack=6)


def test_uneven_light_without_lines_or_table_reads_the_same_digits():
    rng = np.random.default_rng(3)
    ink, boxes = ink_page("3741", (500, 300), 60, 110, 70, 20, 8)
    assert_boxes(find_digits(photo(ink, rng, lines=False, table=False)), boxes, slack=6)


def test_a_clean_canvas_gives_one_part_per_digit():
    ink, boxes = ink_page("2025", (492, 492), 40, 180, 120, 12, 14)
    canvas = np.round(ink * 255).astype(np.uint8)
    assert_boxes(find_digits(canvas), boxes, slack=8)
    assert_boxes(find_digits(255 - canvas), boxes, slack=8)  # dark ink found too


def test_touching_digits_are_split_between_them():
    ink, boxes = ink_page("5237", (500, 300), 40, 80, 120, -4, 12)  # the 2 touches the 3
    canvas = np.round(ink * 255).astype(np.uint8)
    assert cv2.connectedComponents(canvas)[0] == 4  # background, 5, the touching 23, 7
    assert_boxes(find_digits(canvas), boxes, slack=10)


@pytest.mark.parametrize("char", list(PEN_DIGITS))
def test_one_digit_on_a_clean_canvas_is_find_inks_ink(char):
    ink, _ = ink_page(char, (492, 492), 150, 120, 220, 0, 24)
    canvas = np.round(ink * 255).astype(np.uint8)
    (part,) = find_digits(canvas)
    reference = find_ink(canvas)
    assert reference is not None
    assert part.box == reference.box and part.image_shape == reference.image_shape
    np.testing.assert_array_equal(frame_ink(part), frame_ink(reference))


def test_ink_shaped_like_one_digit_is_one_part_as_before():
    four = np.zeros((300, 300), np.uint8)  # a 4 whose bar overlaps its stem's columns
    cv2.line(four, (110, 60), (90, 175), 255, 12)
    cv2.line(four, (90, 175), (200, 175), 255, 12)
    cv2.line(four, (166, 80), (166, 250), 255, 12)
    w_like = render_strokes([(np.array([(0, 0), (0.25, 1), (0.5, 0.45), (0.75, 1), (1, 0)])
                              * [280, 200] + [60, 50]) / [400, 300]], (400, 300), 0.04)
    x, y, width, height = cv2.boundingRect(w_like)  # wider than a line's typical digit,
    assert 1.3 < width / height < 1.45  # narrow in the middle: a cut would be made there
    for image in (four, w_like):
        (part,) = find_digits(image)
        reference = find_ink(image)
        assert reference is not None and part.box == reference.box


def test_two_digits_close_together_stay_two():
    ink, boxes = ink_page("07", (400, 300), 120, 80, 140, 10, 12)
    assert 0 < boxes[1].left - boxes[0].right < 0.1 * boxes[0].height  # as close as a 4's bar
    assert_boxes(find_digits(np.round(ink * 255).astype(np.uint8)), boxes, slack=4)


def test_a_small_digit_in_a_large_photo_is_no_speck():
    rng = np.random.default_rng(5)
    ink, boxes = ink_page("27", (1280, 960), 600, 450, 36, 12, 4)
    parts = find_digits(photo(ink, rng, lines=False))
    assert_boxes(parts, boxes, slack=5)
    assert not any(is_speck(p) for p in parts)
    # judged against the whole photo, the 2 would be: the region is what keeps it
    whole = Ink(parts[0].crop, parts[0].mask, (960, 1280), parts[0].box)
    assert is_speck(whole)


def test_a_lone_dot_is_still_a_speck():
    canvas = np.zeros((480, 640), np.uint8)
    cv2.circle(canvas, (300, 200), 6, 255, -1)
    rng = np.random.default_rng(0)
    for image in (canvas, photo(canvas.astype(np.float32) / 255, rng, lines=False)):
        parts = find_digits(image)
        assert len(parts) == 1 and is_speck(parts[0])


@pytest.mark.parametrize("image", [
    np.zeros((300, 400), np.uint8),
    np.full((300, 400), 200, np.uint8),
    np.zeros((50, 60, 3), np.float32),
], ids=["black", "grey", "float-bgr"])
def test_blank_images_have_no_digits(image):
    assert find_digits(image) == []


def test_blank_noisy_unevenly_lit_paper_has_no_digits():
    rng = np.random.default_rng(11)
    assert find_digits(photo(np.zeros((480, 640), np.float32), rng, lines=False)) == []


@pytest.mark.parametrize("image", [
    np.zeros((10, 10), np.complex64),
    np.zeros((10, 10, 5), np.uint8),
    np.zeros((0, 10), np.uint8),
    np.zeros((2, 3, 4, 3), np.uint8),
], ids=["complex", "5-channels", "empty", "4-d"])
def test_bad_input_is_a_digitnet_error(image):
    with pytest.raises(DigitnetError):
        find_digits(image)


def tight_crop(char: str, stroke: int) -> np.ndarray:
    """A digit cropped tightly from clean paper (300x240, dark on white), its top bar flush
    with the image's top edge: a thick stroke along the border, yet no table."""
    image = np.full((300, 240), 255, np.uint8)
    top = stroke // 2
    if char == "7":
        cv2.line(image, (0, top), (239, top), 0, stroke)
        cv2.line(image, (225, top), (85, 299), 0, stroke)
    else:  # a 5
        cv2.line(image, (25, top), (239, top), 0, stroke)
        cv2.line(image, (40, top), (28, 140), 0, stroke)
        cv2.ellipse(image, (130, 200), (85, 80), 0, 200, 500, 0, stroke)
    return image


@pytest.mark.parametrize(("char", "stroke"), [("7", 8), ("7", 12), ("7", 16), ("7", 20),
                                              ("5", 12), ("5", 20)])
def test_a_tightly_cropped_digit_touching_the_edge_is_find_inks_ink(char, stroke):
    image = tight_crop(char, stroke)
    (part,) = find_digits(image)
    reference = find_ink(image)
    assert reference is not None and part.box == reference.box
    np.testing.assert_array_equal(frame_ink(part), frame_ink(reference))


@pytest.mark.parametrize(("index", "scale"), [(1911, 1), (1911, 10), (1940, 1), (916, 1)])
def test_mnist_digits_whose_pieces_the_cut_left_out_are_find_inks_ink(mnist_dir, index, scale):
    """MNIST test 5s (#1911, #1940) and a 4 (#916) whose flag or arm the cut left out: on a
    flat image one part is the whole image's ink, as before numbers were read (raw, or 10
    times as large dark on white)."""
    digit = load_mnist("test", mnist_dir)[0][index]
    if scale > 1:
        digit = 255 - cv2.resize(digit, (28 * scale, 28 * scale), interpolation=cv2.INTER_LINEAR)
    (part,) = find_digits(digit)
    reference = find_ink(digit)
    assert reference is not None and part.box == reference.box
    np.testing.assert_array_equal(frame_ink(part), frame_ink(reference))


@pytest.mark.parametrize("diameter", [2, 4])
def test_a_tiny_dot_alone_is_a_speck_not_blank(diameter):
    """Too small for a digit, yet ink: as before numbers, one part that the speck rule
    rejects ("not a digit (too small: a speck)"), not a blank image."""
    canvas = np.zeros((100, 100), np.uint8)
    canvas[50:50 + diameter, 40:40 + diameter] = 255
    for image in (canvas, 255 - canvas):
        (part,) = find_digits(image)
        assert part.box == Box(40, 50, diameter, diameter) and is_speck(part)


def two_part_ways(stretch: Stretch) -> list[tuple[Ink, Ink]]:
    """The stretch's ways to cut it into two parts, left to right."""
    return [(stretch.parts[0, cut], stretch.parts[cut, stretch.last])
            for cut in range(1, stretch.last)
            if (0, cut) in stretch.parts and (cut, stretch.last) in stretch.parts]


def share_held(part: Ink, ink: np.ndarray) -> float:
    """The share of the ink (a bool mask over the image) that the part holds."""
    box = part.box
    return float((ink[box.top:box.bottom, box.left:box.right] & (part.mask > 0)).sum() / ink.sum())


def test_a_slanted_cut_parts_touching_digits_that_no_straight_cut_can():
    """Two slanted strokes, the first's foot touching the second: every vertical cut leaves
    more than 8 % of one with the other, while a cut path slanting between them is offered."""
    first, second = np.zeros((260, 300), np.uint8), np.zeros((260, 300), np.uint8)
    cv2.polylines(first, [np.array([(20, 215), (100, 215)]), np.array([(30, 215), (118, 40)])],
                  False, 255, 12, cv2.LINE_AA)
    cv2.line(second, (100, 215), (188, 40), 255, 12, cv2.LINE_AA)
    canvas = np.maximum(first, second)
    assert cv2.connectedComponents(canvas)[0] == 2  # they touch: one component
    ones, twos = first > 38, second > 38
    straight = min(max((ones[:, c:] & ~twos[:, c:]).sum() / ones.sum(),
                       (twos[:, :c] & ~ones[:, :c]).sum() / twos.sum()) for c in range(300))
    assert straight > 0.08
    (stretch,) = candidate_parts(canvas)
    assert any(share_held(left, ones) >= 0.95 and share_held(right, twos) >= 0.95
               and share_held(left, twos) <= 0.05 and share_held(right, ones) <= 0.05
               for left, right in two_part_ways(stretch))
    assert len(stretch.shape_parts) == 1  # the shape alone sees one part: a model chooses


def test_a_chain_of_three_touching_digits_can_be_cut_into_three():
    """Three digits touching in a chain, which the shape rules keep as one part: among the
    candidate parts is a way of three, each around its digit."""
    for number in ("303", "000"):
        ink, boxes = ink_page(number, (560, 300), 40, 80, 120, -6, 12)
        canvas = np.round(ink * 255).astype(np.uint8)
        assert cv2.connectedComponents(canvas)[0] == 2  # all three touch: one component
        (stretch,) = candidate_parts(canvas)
        assert len(stretch.shape_parts) == 1
        threes = [[stretch.parts[0, first], stretch.parts[first, second],
                   stretch.parts[second, stretch.last]]
                  for first in range(1, stretch.last) for second in range(first + 1, stretch.last)
                  if {(0, first), (first, second), (second, stretch.last)} <= stretch.parts.keys()]
        assert any(all(abs(part.box.left + part.box.width / 2 - (box.left + box.width / 2))
                       <= 0.1 * box.height for part, box in zip(way, boxes, strict=True))
                   for way in threes), number


def test_touching_digits_with_loops_are_still_offered_apart():
    """Digits with loops touching (a 0 meeting its neighbour) can still be cut between them:
    a way of one part per digit, each centred on its digit. (Where they overlap, that cut
    runs through one's loop: no rule may refuse every cut through a loop.)"""
    for number in ("00", "30", "07"):
        ink, boxes = ink_page(number, (400, 300), 40, 80, 120, -6, 12)
        (stretch,) = candidate_parts(np.round(ink * 255).astype(np.uint8))
        assert any(all(abs(part.box.left + part.box.width / 2 - (box.left + box.width / 2))
                       <= 0.1 * box.height for part, box in zip(way, boxes, strict=True))
                   for way in two_part_ways(stretch)), number
