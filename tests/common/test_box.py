"""Box: its edges, the box around boxes, and how two boxes relate."""

from __future__ import annotations

import pytest

from digitnet.common.box import Box


def test_edges_and_the_box_around_boxes():
    a, b = Box(10, 20, 30, 40), Box(35, 5, 20, 10)
    assert (a.right, a.bottom) == (40, 60)
    assert a.union(b) == b.union(a) == Box(10, 5, 45, 55)
    assert Box.around([a]) == a
    assert Box.around([a, b, Box(0, 70, 1, 1)]) == Box(0, 5, 55, 66)
    with pytest.raises(StopIteration):
        Box.around([])


@pytest.mark.parametrize(("other", "shares"), [
    (Box(100, 59, 5, 5), True),  # one row in common, far to the right: beside
    (Box(0, 60, 5, 5), False),  # just below: its first row is a's last row's next
    (Box(0, 0, 5, 20), False),  # just above
])
def test_shares_rows_is_beside_not_above_or_below(other, shares):
    a = Box(10, 20, 30, 40)
    assert a.shares_rows(other) is shares and other.shares_rows(a) is shares


@pytest.mark.parametrize(("box", "at_border"), [
    (Box(0, 5, 10, 10), True), (Box(5, 0, 10, 10), True), (Box(90, 5, 10, 10), True),
    (Box(5, 40, 10, 10), True), (Box(1, 1, 98, 48), False),
])
def test_at_border_of_an_image_50_high_100_wide(box, at_border):
    assert box.at_border((50, 100)) is at_border


def test_roughly_equal_within_2_pixels_or_5_percent_of_the_size():
    small, large = Box(10, 10, 20, 20), Box(100, 100, 200, 100)
    assert small.roughly_equals(Box(12, 8, 20, 20))  # 2 pixels off on every side
    assert not small.roughly_equals(Box(13, 10, 20, 20))  # 3 pixels: more than 2 and 5 %
    assert large.roughly_equals(Box(110, 100, 190, 100))  # 10 pixels: 5 % of 200
    assert not large.roughly_equals(Box(111, 100, 189, 100))
    assert not small.roughly_equals(Box(10, 10, 20, 23))  # its bottom 3 pixels lower
