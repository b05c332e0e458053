"""Found lines matched to the lines written on a generated page (their ink's corners known): which
found line is which true one, and which lie on none. Training the line reader learns from the
matched ones (digitnet.train.lines); the tests score the line finder with them.
"""

from __future__ import annotations

import numpy as np

from digitnet.reading.line_geometry import transform_points
from digitnet.reading.lines import Lines

MATCHED = 0.5  # a found line is a true one if their boxes overlap by this share of their union
STRAY = 0.1  # ... and lies on none if less than this share of its box lies on any


def deskewed_box(corners: np.ndarray, lines: Lines) -> tuple[float, float, float, float]:
    """The bounds (left, top, right, bottom) in the deskewed page of points on the page."""
    turned = transform_points(corners, lines.deskew)
    return (*turned.min(0), *turned.max(0))


def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, float]:
    """(intersection over union, intersection over b's area) of two boxes (l, t, r, b)."""
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    shared = width * height
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    return shared / max(area_a + area_b - shared, 1e-9), shared / max(area_b, 1e-9)


def match_lines(truth: list[np.ndarray], lines: Lines) -> list[int | None]:
    """For each true line (its ink's 4 corners on the page), the found line that is it: their
    boxes in the deskewed page overlap by MATCHED of their union or more, one to one, best
    first; None where no found line is."""
    found = [(f.frame.left, f.frame.top, f.frame.right, f.frame.bottom) for f in lines.lines]
    pairs = sorted(((overlap(deskewed_box(c, lines), box)[0], t, k)
                    for t, c in enumerate(truth) for k, box in enumerate(found)), reverse=True)
    chosen: list[int | None] = [None] * len(truth)
    taken: set[int] = set()
    for score, t, k in pairs:
        if score >= MATCHED and chosen[t] is None and k not in taken:
            chosen[t] = k
            taken.add(k)
    return chosen


def strays(truth: list[np.ndarray], lines: Lines) -> list[int]:
    """The found lines that lie on no true line (less than STRAY of their box on any): marks
    that are not writing (what is left of a pattern, a grid, a speck)."""
    boxes = [deskewed_box(c, lines) for c in truth]
    return [k for k, f in enumerate(lines.lines)
            if all(overlap(box, (f.frame.left, f.frame.top, f.frame.right, f.frame.bottom))[1]
                   < STRAY for box in boxes)]
