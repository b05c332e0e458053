"""Training's own generator of continental shapes (digitnet.train.augment), and its independence
from the drawn-digit benchmark's generator (bench/drawn.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from digitnet.data.mnist import load_mnist
from digitnet.train import augment
from digitnet.train.augment import CONTINENTAL_STYLES, add_continental_marks, skeletons_2x

SIDE = 56  # the skeletons are drawn at 2x


def canvas() -> np.ndarray:
    return np.zeros((SIDE, SIDE), np.uint8)


def line(*points: tuple[int, int]) -> np.ndarray:
    """A skeleton of one polyline through (x, y) points, y down."""
    skeleton = canvas()
    cv2.polylines(skeleton, [np.array(points, np.int32)], False, 1, 1)
    return skeleton


ONE = line((28, 8), (28, 48))  # an upright stroke: 40 pixels tall
SEVEN = line((14, 8), (40, 8), (24, 48))  # top bar, then the stem down to the left
NINE = line((28, 8), (20, 12), (20, 20), (28, 24), (36, 20), (36, 12), (28, 8), (36, 12), (36, 48))
FOUR = line((34, 8), (12, 34), (44, 34), (34, 34), (34, 48))  # closed: a triangle with a stem
ZERO = cv2.ellipse(canvas(), (28, 28), (12, 20), 0, 0, 360, 1, 1)  # 40 pixels tall


def pieces(skeleton: np.ndarray) -> int:
    """How many separate strokes (8-connected pieces) a skeleton has."""
    return cv2.connectedComponents(skeleton, connectivity=8)[0] - 1


def drawn(shape, skeleton: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(the shape drawn on a copy of the skeleton, its added pixels as (x, y) points)."""
    out = skeleton.copy()
    shape(out, np.random.default_rng(seed))
    ys, xs = np.nonzero(out & ~skeleton)
    return out, np.stack([xs, ys], 1)


def near(points: np.ndarray, x: int, y: int, pixels: int = 2) -> bool:
    return bool(np.abs(points - [x, y]).max(1).min() <= pixels)


SEEDS = range(20)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_flag_leaves_the_top_of_a_1_down_to_the_left(seed):
    out, added = drawn(augment.draw_flag, ONE, seed)
    assert len(added) >= 4
    assert near(added, 28, 8) and pieces(out) == 1  # drawn from the tip, joined to it
    assert (added[:, 0] <= 28).all() and (added[:, 1] <= 8 + 0.5 * 40).all()  # top left
    assert added[:, 0].min() <= 28 - 3 and added[:, 1].max() >= 8 + 2  # out and down
    # off the stem by 25-60 degrees: never flat like a 7's top bar, never along the stem
    far = added[np.argmax(np.abs(added - [28, 8]).sum(1))] - [28, 8]
    assert 15 < np.degrees(np.arctan2(-far[0], far[1])) < 70


def test_flags_vary_in_angle_and_length():
    ends = [drawn(augment.draw_flag, ONE, seed)[1] for seed in SEEDS]
    lengths = [np.hypot(*(e - [28, 8]).T).max() for e in ends]
    assert max(lengths) > 1.6 * min(lengths)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_foot_crosses_the_bottom_of_a_1_on_both_sides(seed):
    out, added = drawn(augment.draw_foot, ONE, seed)
    assert pieces(out) == 1
    assert (added[:, 1] >= 48 - 0.1 * 40).all() and (np.abs(added[:, 1] - 48) <= 5).all()
    assert added[:, 0].min() <= 28 - 3 and added[:, 0].max() >= 28 + 3


@pytest.mark.parametrize("seed", SEEDS)
def test_a_bar_crosses_the_stem_of_a_7_low_and_nearly_flat(seed):
    out, added = drawn(augment.draw_bar, SEVEN, seed)
    assert pieces(out) == 1
    ys = added[:, 1]
    assert (ys >= 8 + 0.3 * 40).all() and (ys <= 8 + 0.75 * 40).all()
    y = int(np.median(ys))
    stem_x = np.flatnonzero(SEVEN[y])[0]
    assert added[:, 0].min() < stem_x - 2 < stem_x + 2 < added[:, 0].max()
    assert np.ptp(ys) <= 0.3 * np.ptp(added[:, 0]) + 1


@pytest.mark.parametrize("seed", SEEDS)
def test_a_hooked_top_hangs_down_from_the_left_end_of_a_7s_top_bar(seed):
    out, added = drawn(augment.draw_hooked_top, SEVEN, seed)
    assert near(added, 14, 8) and pieces(out) == 1
    assert (added[:, 0] <= 14 + 4).all() and (added[:, 1] <= 8 + 0.3 * 40).all()
    assert added[:, 1].max() >= 8 + 0.08 * 40


@pytest.mark.parametrize("seed", SEEDS)
def test_a_hooked_stem_curls_left_from_the_bottom_of_a_9(seed):
    out, added = drawn(augment.draw_hooked_stem, NINE, seed)
    assert near(added, 36, 48) and pieces(out) == 1
    assert (added[:, 1] >= 48 - 0.25 * 40).all()  # at the bottom
    tip = added[added[:, 0].argmin()]
    assert tip[0] <= 36 - 0.1 * 40  # to the left
    assert added[:, 1].max() > tip[1]  # bowed: it dips below its own end


@pytest.mark.parametrize("seed", SEEDS)
def test_an_open_four_replaces_a_closed_one_and_is_open_at_the_top(seed):
    out, _ = drawn(augment.draw_open_four, FOUR, seed)
    assert out.sum() > 40
    above_the_bar = slice(0, 8 + int(0.4 * 40))
    assert pieces(FOUR[above_the_bar]) == 1  # closed
    assert pieces(out[above_the_bar]) == 2  # an arm and a stem, not joined
    assert pieces(out) == 1  # joined by the crossbar
    ys, xs = np.nonzero(out)
    assert ys.min() >= 8 - 1 and ys.max() <= 48 + 1  # in the digit's box


@pytest.mark.parametrize("seed", SEEDS)
def test_a_slash_crosses_a_0_up_to_the_right_through_its_middle(seed):
    out, added = drawn(augment.draw_slash, ZERO, seed)
    assert pieces(out) == 1 and near(added, 28, 28)  # through the middle, joined to the loop
    low, high = added[added[:, 1].argmax()], added[added[:, 1].argmin()]
    assert high[0] > low[0] and high[1] < low[1]  # up to the right
    assert 30 < np.degrees(np.arctan2(low[1] - high[1], high[0] - low[0])) < 80
    assert low[1] >= 28 + 0.4 * 20 and high[1] <= 28 - 0.4 * 20  # from the loop to the loop
    assert added[:, 1].min() >= 8 - 0.25 * 40 and added[:, 1].max() <= 48 + 0.25 * 40


@pytest.fixture(scope="module")
def mnist_skeletons(mnist_dir) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = load_mnist("test", mnist_dir)
    return skeletons_2x(images[:300]), torch.from_numpy(labels[:300])


def changed(marked: torch.Tensor, skeletons: torch.Tensor) -> np.ndarray:
    return (marked != skeletons).flatten(1).any(1).numpy()


def test_continental_marks_change_exactly_the_chosen_share_of_1s_4s_7s_and_9s(mnist_skeletons):
    skeletons, labels = mnist_skeletons
    theirs = np.isin(labels.numpy(), list(CONTINENTAL_STYLES))
    assert not changed(add_continental_marks(skeletons, labels, 0.0, seed=0), skeletons).any()
    everything = changed(add_continental_marks(skeletons, labels, 1.0, seed=0), skeletons)
    assert everything[theirs].all() and not everything[~theirs].any()
    half = changed(add_continental_marks(skeletons, labels, 0.5, seed=0), skeletons)
    assert 0.3 < half[theirs].mean() < 0.7 and not half[~theirs].any()


def test_continental_marks_are_deterministic_for_a_seed_and_vary_across_seeds(mnist_skeletons):
    skeletons, labels = mnist_skeletons
    before = skeletons.clone()
    first = add_continental_marks(skeletons, labels, 0.5, seed=3)
    assert torch.equal(first, add_continental_marks(skeletons, labels, 0.5, seed=3))
    assert not torch.equal(first, add_continental_marks(skeletons, labels, 0.5, seed=4))
    assert torch.equal(skeletons, before)  # a copy is marked, not the input


def test_each_digit_is_drawn_in_every_one_of_its_styles(mnist_skeletons, monkeypatch):
    skeletons, labels = mnist_skeletons
    seen = set()

    def recording(digit, style):
        def shape(skeleton, rng):
            seen.add((digit, style))
            for draw in style:
                draw(skeleton, rng)
        return shape

    styles = {digit: tuple((recording(digit, style),) for style in styles)
              for digit, styles in CONTINENTAL_STYLES.items()}
    monkeypatch.setattr(augment, "CONTINENTAL_STYLES", styles)
    add_continental_marks(skeletons, labels, 1.0, seed=0)
    assert seen == {(digit, style) for digit, styles in CONTINENTAL_STYLES.items()
                    for style in styles}
