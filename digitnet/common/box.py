"""Box: where a part of an image lies, in the image's pixels, and how two boxes relate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Box:
    """Where a part of an image lies, in the image's pixels."""

    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    @classmethod
    def rounded(cls, left: float, top: float, width: float, height: float) -> Box:
        """A box with rounded coordinates; a negative size (a window too small) becomes zero."""
        return cls(round(left), round(top), max(round(width), 0), max(round(height), 0))

    @classmethod
    def around(cls, boxes: Iterable[Box]) -> Box:
        """The box around all these boxes (at least one)."""
        found = iter(boxes)
        box = next(found)
        for other in found:
            box = box.union(other)
        return box

    def union(self, other: Box) -> Box:
        """The box around both."""
        left, top = min(self.left, other.left), min(self.top, other.top)
        return Box(left, top, max(self.right, other.right) - left,
                   max(self.bottom, other.bottom) - top)

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x < self.right and self.top <= y < self.bottom

    def to_units(self, x: float, y: float) -> tuple[float, float]:
        """A pixel as (x, y) in units of this box, clipped to it: 0..1 each."""
        u = (x - self.left) / max(self.width, 1)
        v = (y - self.top) / max(self.height, 1)
        return min(max(u, 0.0), 1.0), min(max(v, 0.0), 1.0)

    def view(self, image: np.ndarray) -> np.ndarray:
        """The part of `image` this box covers (a view: writing to it draws on the image)."""
        return image[self.top : self.bottom, self.left : self.right]

    def shares_rows(self, other: Box) -> bool:
        """True if the boxes share rows: one lies beside the other, not above it."""
        return min(self.bottom, other.bottom) > max(self.top, other.top)

    def at_border(self, shape: tuple[int, ...]) -> bool:
        """True if the box touches the edge of an image of this shape (height, width, ...)."""
        return (self.left == 0 or self.top == 0 or self.right == shape[1]
                or self.bottom == shape[0])

    def roughly_equals(self, other: Box) -> bool:
        """True if the boxes are equal to within 2 pixels or 5 % of this one's size on every
        side: the same ink, found two ways."""
        slack = max(2.0, 0.05 * max(self.width, self.height))
        return all(abs(x - y) <= slack
                   for x, y in zip((self.left, self.top, self.right, self.bottom),
                                   (other.left, other.top, other.right, other.bottom),
                                   strict=True))
