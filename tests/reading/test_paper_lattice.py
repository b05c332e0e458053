"""The lattice of a run of close groups: which parts between its boundaries are offered to a
model as digits."""

from __future__ import annotations

import numpy as np

from digitnet.common.box import Box
from digitnet.reading.paper.lattice import Lattice


def bar_and_fragment(fragment_height: int) -> tuple[Box, list[np.ndarray]]:
    """A lattice's frame and sides: a bar 100 pixels high, then (right of boundary 1) a piece
    `fragment_height` pixels high, as a cut leaves the end of a loop or a bar."""
    ink = np.zeros((100, 80), bool)
    ink[:, 10:20] = True
    ink[100 - fragment_height:, 50:60] = True
    left = np.zeros_like(ink)
    left[:, :35] = ink[:, :35]
    return Box(0, 0, 80, 100), [np.zeros_like(ink), left, ink]


def test_a_fragment_less_high_than_a_digit_is_no_candidate_unless_the_shapes():
    """Cut off a digit, a piece 0.6 of the line's digit height is not offered as a digit of
    its own (a loop's end read as a "1" splits one digit in two); a piece 0.9 of it is, and
    the shape's own parts always are."""
    frame, sides = bar_and_fragment(60)
    assert set(Lattice(frame, sides, (0, 2), (0, 2)).pieces(100.0)) == {(0, 2)}
    assert set(Lattice(frame, sides, (0, 1, 2), (0, 2)).pieces(100.0)) == {(0, 1), (1, 2),
                                                                            (0, 2)}
    frame, sides = bar_and_fragment(90)
    assert set(Lattice(frame, sides, (0, 2), (0, 2)).pieces(100.0)) == {(0, 1), (1, 2), (0, 2)}
