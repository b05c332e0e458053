"""The drawn-digit benchmark's generator (bench/drawn.py): its continental marks and drawings."""

from dataclasses import replace

import numpy as np
import pytest
from drawn import DrawStyle, continental_segment, draw_like_a_person

from digitnet.data.mnist import load_mnist

# a straight stroke from top (y=0) to bottom (y=20), y down
UPRIGHT = np.array([[10.0, y] for y in range(21)], np.float32)
SLANTED = np.array([[10.0 + 0.4 * (20 - y), y] for y in range(21)], np.float32)  # "/"


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(a @ b / np.linalg.norm(a) / np.linalg.norm(b))))


@pytest.mark.parametrize("stem", [UPRIGHT, SLANTED])
def test_a_1s_flag_leaves_its_top_down_and_to_the_left_at_50_degrees_to_the_stem(stem):
    start, tip = continental_segment(stem, 1)
    assert tip.tolist() == stem[0].tolist()
    flag = start - tip
    assert flag[0] < 0 and flag[1] > 0
    assert angle_deg(flag, stem[-1] - stem[0]) == pytest.approx(50, abs=0.5)


def test_a_7s_bar_crosses_its_stem_horizontally_below_the_middle():
    top_bar = np.array([[x, 0.0] for x in range(0, 16)], np.float32)
    stem = np.array([[15.0 - 0.5 * y, y] for y in range(21)], np.float32)
    left, right = continental_segment(np.concatenate([top_bar, stem]), 7)
    assert left[1] == right[1] == pytest.approx(0.55 * 20)
    assert left[0] < 15.0 - 0.5 * 11 < right[0]  # the stem's x at that height lies between the ends


def test_other_digits_get_no_mark():
    assert all(continental_segment(UPRIGHT, d) is None for d in (0, 2, 3, 4, 5, 6, 8, 9))


def test_continental_style_adds_ink_to_1s_only_when_asked(mnist_dir):
    images, labels = load_mnist("test", mnist_dir)
    one = images[np.flatnonzero(labels == 1)[0]]
    upright = DrawStyle(slant=0.0, rotate_deg=0.0, dark_on_light_prob=0.0, canvas_px=(400, 400),
                        digit_height=(0.8, 0.8), brush=(0.1, 0.1))
    plain = draw_like_a_person(one, np.random.default_rng(0), upright, label=1)
    flagging = replace(upright, continental_prob=1.0)
    flagged = draw_like_a_person(one, np.random.default_rng(0), flagging, label=1)
    assert plain.shape == flagged.shape == (400, 400)
    assert (flagged > 127).sum() > 1.1 * (plain > 127).sum()


def test_a_drawing_depends_only_on_the_seed_and_continental_leaves_other_digits_alone(mnist_dir):
    """The benchmark's published figures are reproducible: the same seed draws the same canvas,
    and --continental does not change the drawings of digits it has no mark for."""
    images, labels = load_mnist("test", mnist_dir)
    three = images[np.flatnonzero(labels == 3)[0]]
    first = draw_like_a_person(three, np.random.default_rng(5), DrawStyle(), label=3)
    again = draw_like_a_person(three, np.random.default_rng(5), DrawStyle(continental_prob=1.0),
                               label=3)
    other = draw_like_a_person(three, np.random.default_rng(6), DrawStyle(), label=3)
    assert np.array_equal(first, again)
    assert first.shape != other.shape or not np.array_equal(first, other)
