"""Where the shape alone cuts a group too wide for one digit: at a junction, a column where
two shapes meet (one or two strokes, no loop, a valley in the ink per column), found in the
group's column profile (step 3 of digitnet.reading.paper)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digitnet.common.box import Box
from digitnet.reading.paper.groups import Group
from digitnet.reading.paper.params import PAPER


def split_wide(group: Group, member: np.ndarray, height: float, width: float) -> list[Group]:
    """The group (its ink `member`, a mask over its box), or its parts left to right if it is
    too wide for one digit of the line (`width`: the line's typical digit width): cut at a
    junction near where the first of its digits should end (PAPER.split_width), or at a
    narrow junction near its middle (PAPER.maybe_split)."""
    box = group.box
    several = box.width > PAPER.split_width * width  # several for sure: the best cut there is
    if not several and box.width <= PAPER.maybe_split * height or box.width < 5:
        return [group]
    profile = Profile.of(member)
    if several:
        digits = max(2, round(box.width / width))
        centre, reach = box.width / digits, 0.3 * box.width / digits
        cut = profile.junction(centre, reach)
        if cut is None and digits > 2:  # no clean junction: a chain of three or more
            cut = profile.least_ink(centre, reach)
    else:
        cut = profile.junction(box.width / 2, 0.3 * box.width)
        cut = cut if cut is not None and profile.narrow(cut) else None
    if cut is None:
        return [group]
    parts = []
    for half in (tight(group, member, box, 0, cut), tight(group, member, box, cut, box.width)):
        if half:
            inner = member[half.box.top - box.top:half.box.bottom - box.top,
                           half.box.left - box.left:half.box.right - box.left]
            parts += split_wide(half, inner, height, width)
    return parts


@dataclass(frozen=True)
class Profile:
    """A group's ink seen column by column: where two touching digits can be cut apart."""

    counts: np.ndarray  # ink pixels per column
    runs: np.ndarray  # strokes each column crosses
    loops: np.ndarray  # bool per column: it crosses a hole in the ink (a 0's, a 6's loop)
    stroke: float  # the median vertical run: about a stroke's width

    @classmethod
    def of(cls, member: np.ndarray) -> Profile:
        padded = np.pad(member, ((1, 1), (0, 0)))
        starts = padded[1:] & ~padded[:-1]
        # the background reached from outside the box, the rest are holes
        outside = np.pad(~member, 1, constant_values=True).astype(np.uint8)
        _, background = cv2.connectedComponents(outside, None, 4)
        holes = (background[1:-1, 1:-1] != background[0, 0]) & ~member
        return cls(member.sum(axis=0).astype(float), starts.sum(axis=0), holes.any(axis=0),
                   stroke_width(member))

    def junction(self, centre: float, reach: float) -> int | None:
        """The column within `reach` of `centre` with the least ink (3-column mean) that
        crosses one or two strokes and no loop, holds about one stroke's ink (PAPER.thin) and at
        most half the ink of the fullest columns on either side of it: two shapes meeting, not
        the middle of a 0 (closed or open), a 3 or a blob. The nearest the centre among
        equals; None if there is none."""
        counts = self.counts
        low = max(1, int(centre - reach))
        high = min(len(counts) - 1, int(centre + reach) + 1)
        if high <= low:
            return None
        before = np.maximum.accumulate(counts)[low - 1:high - 1]
        after = np.maximum.accumulate(counts[::-1])[::-1][low + 1:high + 1]
        runs = self.runs[low:high]  # no empty column: pieces in one group belong together
        valley = ((runs >= 1) & (runs <= PAPER.max_runs) & ~self.loops[low:high]
                  & (counts[low:high] <= np.minimum(before, after) / 2)
                  & (counts[low:high] <= PAPER.thin * self.stroke))
        if not valley.any():
            return None
        smooth = np.convolve(counts, np.ones(3) / 3, mode="same")[low:high]
        score = smooth + 1e-3 * np.abs(np.arange(low, high) - centre)
        return low + int(np.argmin(np.where(valley, score, np.inf)))

    def least_ink(self, centre: float, reach: float) -> int:
        """The column within `reach` of `centre` with the least ink that crosses no loop if
        there is one, the nearest the centre among equals."""
        low = max(1, int(centre - reach))
        high = max(low + 1, min(len(self.counts) - 1, int(centre + reach) + 1))
        loops = self.loops[low:high]
        score = self.counts[low:high] + 1e-3 * np.abs(np.arange(low, high) - centre)
        return low + int(np.argmin(np.where(loops & ~loops.all(), np.inf, score)))

    def narrow(self, cut: int) -> bool:
        """True if the thin columns around the cut go on for only a few strokes' widths:
        digits touching, not a 4's bar."""
        thin = self.counts <= PAPER.thin * self.stroke
        left, right = cut, cut
        while left > 0 and thin[left - 1]:
            left -= 1
        while right < len(thin) - 1 and thin[right + 1]:
            right += 1
        return right - left + 1 <= 2 * self.stroke


def tight(group: Group, member: np.ndarray, box: Box, start: int, stop: int) -> Group | None:
    """The group's pixels in columns [start, stop) of its box, as a group with a tight box."""
    rows, columns = np.nonzero(member[:, start:stop])
    if len(rows) < PAPER.min_area:
        return None
    left, top = box.left + start + int(columns.min()), box.top + int(rows.min())
    return Group(group.labels, Box(left, top, box.left + start + int(columns.max()) + 1 - left,
                                   box.top + int(rows.max()) + 1 - top))


def stroke_width(member: np.ndarray) -> float:
    """The median vertical run of ink: about a stroke's width (more, across slanted ones)."""
    padded = np.pad(member, ((1, 1), (0, 0)))
    starts = np.flatnonzero((padded[1:] & ~padded[:-1]).T.ravel())
    ends = np.flatnonzero((~padded[1:] & padded[:-1]).T.ravel())
    return float(np.median(ends - starts)) if len(starts) else 1.0
