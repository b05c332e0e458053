"""Stroke grouping: hand-drawn digits whose strokes must stay together, neighbours that must
split, and real multi-stroke pen digits (pendigits) composed into numbers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from helpers import shared_file

from digitnet.common.sketch import Stroke, brush_pixels
from digitnet.data.pendigits import PenSample, load_pendigits, of_writers
from digitnet.reading.grouping import (
    CLOSE_GAP,
    FOLLOW_OVERLAP,
    MAX_CLUSTER,
    MERGE_OVERLAP,
    MIN_WIDTH,
    SPLIT_SPAN,
    SPLITS,
    _likely_splits,
    _overlap_shares,
    _StrokeInk,
    group_strokes,
    stroke_stretches,
)
from digitnet.reading.stretch import Stretch

SIZE = (900, 300)  # a wide canvas: grouping works in pixels, not canvas units
BRUSH = 0.05  # 15 px on the 300 px side
INK = brush_pixels(BRUSH, min(SIZE))  # so digits' ink can be placed to touch exactly


def stroke(*points: tuple[float, float]) -> Stroke:
    """A stroke from points in pixels (digits are 200 px tall, y 50 to 250)."""
    return np.array(points, np.float32) / np.array(SIZE, np.float32)


def four(x: float) -> list[Stroke]:
    """An open 4: the arm down and across, then the stem crossing it."""
    return [stroke((x + 60, 50), (x, 180), (x + 100, 180)), stroke((x + 70, 100), (x + 70, 250))]


def five(x: float) -> list[Stroke]:
    """A 5: its body first, the top bar after it."""
    body = stroke((x + 10, 50), (x + 5, 140), (x + 70, 130), (x + 90, 190), (x + 50, 250),
                  (x, 230))
    return [body, stroke((x + 10, 50), (x + 90, 50))]


def seven(x: float) -> list[Stroke]:
    """A continental 7: top and diagonal in one stroke; its cross bar is the second."""
    return [stroke((x, 50), (x + 100, 50), (x + 30, 250)), stroke((x + 20, 150), (x + 90, 150))]


def flagged_one(x: float) -> list[Stroke]:
    """A 1 with its flag, stem and foot drawn as three strokes (the stem at x + 40)."""
    return [stroke((x, 100), (x + 40, 50)), stroke((x + 40, 50), (x + 40, 250)),
            stroke((x + 10, 250), (x + 70, 250))]


def plain_one(x: float) -> list[Stroke]:
    return [stroke((x, 50), (x, 250))]


def zero(x: float) -> list[Stroke]:
    """An oval 100 px wide from x to x + 100."""
    angles = np.linspace(0, 2 * np.pi, 25)
    return [stroke(*zip(x + 50 + 50 * np.cos(angles), 150 + 100 * np.sin(angles), strict=True))]


def groups(*digits: list[Stroke]) -> list[list[int]]:
    return group_strokes([s for digit in digits for s in digit], SIZE, BRUSH)


def test_no_strokes_no_digits() -> None:
    assert group_strokes([], SIZE, BRUSH) == []


def test_a_stroke_with_no_points_is_in_no_group() -> None:
    empty = np.zeros((0, 2), np.float32)
    assert group_strokes([empty], SIZE, BRUSH) == []
    assert group_strokes([empty, empty], SIZE, BRUSH) == []
    arm, stem = four(100)
    assert group_strokes([arm, empty, stem, *zero(300), empty], SIZE, BRUSH) == [[0, 2], [3]]
    # the others group as if it were not there: the bar still follows the body it overlaps
    # by less than MERGE_OVERLAP
    body, bar = long_barred_five(100)
    assert group_strokes([empty, body, empty, bar], SIZE, BRUSH) == [[1, 3]]


def long_barred_five(x: float) -> list[Stroke]:
    """A 5 whose bar starts at the body's top and reaches far right: the two overlap by less
    than half the body's width (as pendigits' writer 28 draws them)."""
    body = stroke((x + 65, 50), (x + 55, 130), (x + 80, 120), (x + 100, 180), (x + 60, 250),
                  (x, 235))
    return [body, stroke((x + 65, 50), (x + 177, 50))]


@pytest.mark.parametrize("digit", [four, five, seven, flagged_one, long_barred_five])
def test_a_multi_stroke_digit_stays_one(digit: Callable[[float], list[Stroke]]) -> None:
    strokes = digit(100)
    assert groups(strokes) == [list(range(len(strokes)))]


def test_a_plus_stays_one() -> None:
    assert groups([stroke((100, 150), (200, 150)), stroke((150, 100), (150, 200))]) == [[0, 1]]


def test_digits_far_apart_split_left_to_right() -> None:
    assert groups(four(50), five(300), seven(550)) == [[0, 1], [2, 3], [4, 5]]


def stretches(*digits: list[Stroke]) -> list[tuple[dict[tuple[int, int], list[int]],
                                                  tuple[int, ...]]]:
    """stroke_stretches of group_strokes' groups: each one's parts and shape."""
    strokes = [s for digit in digits for s in digit]
    found = stroke_stretches(group_strokes(strokes, SIZE, BRUSH), strokes, SIZE, BRUSH)
    assert all(isinstance(stretch, Stretch) for stretch in found)
    assert [stretch.height for stretch in found] == pytest.approx([200] * len(found))
    return [(stretch.parts, stretch.boundaries) for stretch in found]


def test_stretches_of_digits_far_apart_are_their_groups_alone() -> None:
    assert stretches() == []
    assert stretches(four(50), five(300), seven(550)) == [
        ({(0, 1): [0, 1]}, (0, 1)), ({(0, 1): [2, 3]}, (0, 1)), ({(0, 1): [4, 5]}, (0, 1))]


def test_close_neighbours_are_also_offered_as_one_digit() -> None:
    """A 4 whose stem was drawn just right of its arm: two groups, or one for a model."""
    arm = [stroke((160, 50), (100, 180), (190, 180))]
    near, far = 190 + INK + 0.5 * CLOSE_GAP * 200, 190 + INK + 3 * CLOSE_GAP * 200
    assert stretches(arm, [stroke((near, 50), (near, 250))]) == [
        ({(0, 1): [0], (1, 2): [1], (0, 2): [0, 1]}, (0, 1, 2))]
    assert stretches(arm, [stroke((far, 50), (far, 250))]) == [
        ({(0, 1): [0]}, (0, 1)), ({(0, 1): [1]}, (0, 1))]


def test_a_wide_group_of_several_strokes_is_also_offered_split_between_its_strokes() -> None:
    """Two digits drawn one right after the other merge at a small overlap (FOLLOW_OVERLAP):
    a model may part them, if together they are SPLIT_SPAN wide. A wide one-stroke digit is
    never split, nor are strokes overlapping by MERGE_OVERLAP (one digit however wide)."""
    one = [stroke((100, 250), (100, 50))]  # a thin stem: it counts as MIN_WIDTH * 200 px wide
    reach = 0.3 * MIN_WIDTH * 200  # the next digit's flag reaches this far over it
    assert FOLLOW_OVERLAP < 0.3 < MERGE_OVERLAP

    def flagged(stem_x: float) -> list[Stroke]:
        return [stroke((100 + INK - reach, 110), (stem_x, 50), (stem_x, 250))]

    assert groups(one, flagged(150)) == [[0, 1]]
    assert stretches(one, flagged(150)) == [({(0, 1): [0, 1]}, (0, 1))]  # narrow: no split
    assert 290 - 100 + INK > SPLIT_SPAN * 200
    assert groups(one, flagged(290)) == [[0, 1]]
    assert stretches(one, flagged(290)) == [({(0, 2): [0, 1], (0, 1): [0], (1, 2): [1]}, (0, 2))]
    assert stretches(zero(100)) == [({(0, 1): [0]}, (0, 1))]
    bar = stroke((70, 150), (100 + SPLIT_SPAN * 200, 150))  # a wide cross: overlapping fully
    assert stretches([*one, bar]) == [({(0, 1): [0, 1]}, (0, 1))]


def overlap_share(a: tuple[float, float], b: tuple[float, float], min_width: float) -> float:
    """_overlap_shares for two spans, written out: 1 if the narrower lies within the other."""
    shared = min(a[1], b[1]) - max(a[0], b[0])
    narrower = min(a[1] - a[0], b[1] - b[0])
    return 1.0 if shared >= narrower else max(shared, 0.0) / max(narrower, min_width)


def test_splits_are_where_the_two_sides_overlap_least_and_hatching_is_never_split() -> None:
    """The splits offered (found with running hulls) are those a plain search over every
    parting of the strokes, ordered by their centres, finds; a group of more than MAX_CLUSTER
    strokes is offered none however wide."""
    rng = np.random.default_rng(1)
    for _ in range(100):
        strokes = [(rng.uniform(0.1, 0.9, 2) + rng.normal(0, 0.05, (3, 2))).astype(np.float32)
                   for _ in range(int(rng.integers(2, 8)))]
        group = list(range(len(strokes)))
        ink = _StrokeInk.of(strokes, SIZE, BRUSH)
        by_centre = sorted(group, key=lambda i: float(ink.span(i).sum()))
        partings = [(sorted(by_centre[:k]), sorted(by_centre[k:])) for k in range(1, len(group))]
        shares = [overlap_share(ink.hull(left), ink.hull(right), MIN_WIDTH * ink.height)
                  for left, right in partings]
        order = sorted(range(len(partings)), key=lambda k: shares[k])[:SPLITS]
        wide = np.subtract(*ink.hull(group)[::-1]) >= SPLIT_SPAN * ink.height
        expected = [partings[k] for k in order if shares[k] < MERGE_OVERLAP] if wide else []
        assert _likely_splits(group, ink) == expected
    hatching = [stroke((x, 50), (x + 5, 250)) for x in np.linspace(10, 890, MAX_CLUSTER + 1)]
    ink = _StrokeInk.of(hatching, SIZE, BRUSH)
    assert _likely_splits(list(range(len(hatching))), ink) == []


def test_touching_neighbours_split_where_the_strokes_say() -> None:
    # ink touching exactly: the next digit's ink starts where the previous one's ends
    assert groups(five(100), five(100 + 90 + INK)) == [[0, 1], [2, 3]]
    assert groups(plain_one(100), zero(100 + INK)) == [[0], [1]]
    assert groups(four(100), flagged_one(100 + 100 + INK)) == [[0, 1], [2, 3, 4]]


def test_slightly_overlapping_neighbours_still_split() -> None:
    overlap = 6  # px of the two digits' ink over each other
    assert groups(plain_one(100), zero(100 + INK - overlap)) == [[0], [1]]
    assert groups(zero(100), seven(200 + INK - overlap)) == [[0], [1, 2]]
    assert groups(seven(100), four(200 + INK - overlap)) == [[0, 1], [2, 3]]


def test_a_bar_drawn_after_the_next_digit_joins_its_own_digit() -> None:
    """A 7 crossed only after the 1 beside it was written: each list in drawing order."""
    top, bar = seven(100)
    one = plain_one(260)[0]
    assert group_strokes([top, one, bar], SIZE, BRUSH) == [[0, 2], [1]]


def test_a_long_bar_touching_the_next_digit_stays_with_its_own() -> None:
    assert groups(long_barred_five(100), zero(100 + 177 + INK)) == [[0, 1], [2]]


def test_a_thin_stem_added_after_the_next_digit_joins_the_arm_it_stands_under() -> None:
    """With a thin brush the stem's ink is narrower than the floor, yet it lies wholly under
    the 4's arm, so it joins it even drawn after the 0 beside it."""
    arm, stem = four(100)
    strokes = [arm, *zero(300), stem]
    assert group_strokes(strokes, SIZE, 0.02) == [[0, 2], [1]]


def test_each_digit_lists_its_strokes_in_drawing_order() -> None:
    """A retouch inside the 5's body joins it before its bar does; the list still reads in
    drawing order."""
    retouch = stroke((120, 150), (120, 180))
    assert groups(long_barred_five(100), [retouch], zero(400)) == [[0, 1, 2], [3]]


def test_a_digit_drawn_last_between_two_others_lands_in_its_place() -> None:
    assert groups(zero(50), zero(450), four(250)) == [[0], [2, 3], [1]]


def test_a_speck_between_digits_is_its_own_group_and_inside_a_digit_joins_it() -> None:
    point = [stroke((205, 248), (207, 250))]  # a decimal point in the gap of "0.0"
    assert groups(zero(50), point, zero(260)) == [[0], [1], [2]]
    slip = [stroke((100, 160), (103, 162))]  # a slip of the pen inside the 0
    assert groups(zero(50), slip, zero(260)) == [[0, 1], [2]]


def test_a_non_square_canvas_is_measured_in_pixels() -> None:
    """The same ink on a canvas four times wider gives the same digits: the overlap floor is a
    share of the drawing's height in pixels, not in canvas units."""
    strokes = [*plain_one(100), *zero(100 + INK - 6)]
    wide = [s * np.array([SIZE[0], SIZE[1]], np.float32) / (4 * SIZE[0], SIZE[1])
            for s in strokes]
    assert group_strokes(wide, (4 * SIZE[0], SIZE[1]), BRUSH) == [[0], [1]]


def compose(samples: list[PenSample], gap: float, size: tuple[int, int], brush: float
            ) -> list[Stroke]:
    """One writer's pen digits side by side, their ink `gap` of their height apart (0: ink
    touching), in canvas units of `size` (digits 60 % of its height)."""
    height = float(np.median([np.ptp(np.concatenate(s.strokes)[:, 1]) for s in samples]))
    scale = 0.6 * size[1] / height
    ink = brush_pixels(brush, min(size))
    strokes, x = [], float(ink)
    for sample in samples:
        points = np.concatenate(sample.strokes) * scale
        low, high = points.min(axis=0), points.max(axis=0)
        shift = np.array([x - low[0], size[1] / 2 - (low[1] + high[1]) / 2])
        strokes += [(s * scale + shift) / size for s in sample.strokes]
        x += high[0] - low[0] + ink + gap * 0.6 * size[1]
    return strokes


@pytest.fixture(scope="module")
def pen_digits() -> list[PenSample]:
    return of_writers(load_pendigits(shared_file("pendigits")), [1])


@pytest.mark.parametrize("gap", [0.0, 0.1, 0.4])
def test_real_multi_stroke_pen_digits_composed_into_a_number_regroup_exactly(
    pen_digits: list[PenSample], gap: float
) -> None:
    """Writer 1's first two-stroke 4, 5 and 7 and first 1 and 0, as "45710" and "74150"."""
    multi = {d: next(s for s in pen_digits if s.label == d and len(s.strokes) == 2)
             for d in (4, 5, 7)}
    single = {d: next(s for s in pen_digits if s.label == d and len(s.strokes) == 1)
              for d in (0, 1)}
    digits = {**multi, **single}
    size, brush = (1200, 300), 0.05
    for number in ("45710", "74150"):
        samples = [digits[int(c)] for c in number]
        strokes = compose(samples, gap, size, brush)
        starts = np.cumsum([0] + [len(s.strokes) for s in samples])
        expected = [list(range(a, b)) for a, b in zip(starts[:-1], starts[1:], strict=True)]
        assert group_strokes(strokes, size, brush) == expected, number


def test_more_strokes_than_max_cluster_lying_over_one_another_are_one_group() -> None:
    """Dots in a row, each over its neighbour by too little to merge: each its own group up to
    MAX_CLUSTER of them, one group (hatching, not digits) past it. A digit apart stays apart."""
    size = (8000, 300)
    step = INK - 2

    def dots(count: int) -> list[Stroke]:
        return [np.array([(20 + k * step) / size[0], 0.5], np.float32) for k in range(count)]

    apart = np.array([[7900 / size[0], 0.2], [7900 / size[0], 0.8]], np.float32)
    assert group_strokes([*dots(MAX_CLUSTER), apart], size, BRUSH) == [
        [k] for k in range(MAX_CLUSTER + 1)]
    assert group_strokes([*dots(MAX_CLUSTER + 1), apart], size, BRUSH) == [
        list(range(MAX_CLUSTER + 1)), [MAX_CLUSTER + 1]]


def test_of_pairs_that_score_the_same_the_first_merge_first() -> None:
    """Ties (common where spans nest) go to the pair with the first groups, also where one of
    them was just merged: a row-major argmax over all pairs, as the plain rule below takes."""
    size = (320, 320)
    points = [[(160, 40), (200, 40)], [(40, 0)], [(200, 40), (140, 40)], [(180, 40), (300, 40)],
              [(160, 20), (40, 20)]]
    strokes = [np.array(p, np.float32) / size for p in points]
    assert group_strokes(strokes, size, 0.0125) == [[0, 1, 2, 4], [3]]


def best_pair_merging(spans: np.ndarray, min_width: float) -> list[list[int]]:
    """The merging rule stated plainly: score every pair of groups afresh, merge the best (the
    first of equal ones) while it reaches its threshold. Groups listed by their first stroke."""
    groups, hulls = [[i] for i in range(len(spans))], spans.copy()
    while len(groups) > 1:
        shares = _overlap_shares(hulls[:, :1], hulls[:, 1:], hulls[:, 0], hulls[:, 1], min_width)
        follows = np.array([[any(abs(i - j) == 1 for i in g for j in h) for h in groups]
                            for g in groups])
        score = shares / np.where(follows, FOLLOW_OVERLAP, MERGE_OVERLAP)
        np.fill_diagonal(score, 0.0)
        a, b = sorted(np.unravel_index(int(score.argmax()), score.shape))
        if score[a, b] < 1:
            break
        groups[a] += groups.pop(b)
        hulls[a] = min(hulls[a, 0], hulls[b, 0]), max(hulls[a, 1], hulls[b, 1])
        hulls = np.delete(hulls, b, 0)
    return groups


def test_grouping_many_strokes_quickly_gives_what_plain_best_pair_merging_gives() -> None:
    """Random strokes, some on a coarse grid so that spans and scores tie: the clusters and the
    merging that rescoring only what a merge changed give the plain rule's groups, left to
    right as group_strokes orders them."""
    rng = np.random.default_rng(0)
    for case in range(300):
        count = int(rng.integers(1, 25))
        if case % 2:
            strokes = [(rng.integers(0, 12, (int(rng.integers(1, 4)), 2)) / 12).astype(np.float32)
                       for _ in range(count)]
        else:
            strokes = [(rng.uniform(0, 1, 2) + rng.normal(0, 0.1, (int(rng.integers(1, 5)), 2)))
                       .astype(np.float32) for _ in range(count)]
        points = [s.astype(np.float64) * SIZE for s in strokes]
        height = max(float(np.ptp(np.concatenate(points)[:, 1])), 1.0)
        spans = np.array([(p[:, 0].min() - INK / 2, p[:, 0].max() + INK / 2) for p in points])
        expected = sorted(best_pair_merging(spans, MIN_WIDTH * height),
                          key=lambda group: spans[group, 0].min() + spans[group, 1].max())
        assert group_strokes(strokes, SIZE, BRUSH) == [sorted(g) for g in expected], case
