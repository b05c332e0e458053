"""A stretch of a drawing whose parting into digits the shape alone cannot settle, as a lattice
for a model to choose a path through (digitnet.reading.choice.best_way): boundaries numbered 0 to
`last` run left to right, and `parts[i, j]` is what lies between boundaries i and j, one
candidate digit. Image segmentation (digitnet.reading.paper) fills one with ink, stroke grouping
(digitnet.reading.grouping) with strokes; reading turns the strokes into ink.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

Part = TypeVar("Part")
Edge = tuple[int, int]  # a candidate part: what lies between two of a stretch's boundaries


@dataclass(frozen=True)
class Stretch(Generic[Part]):
    """`boundaries` are those the shape rules part the stretch at, 0 and `last` included:
    their choice, which a model's must beat by a margin."""

    parts: dict[Edge, Part]
    boundaries: tuple[int, ...]
    height: float  # a digit's height there, in pixels: a part much wider is likely two

    @property
    def last(self) -> int:
        return self.boundaries[-1]

    @property
    def shape_parts(self) -> list[Part]:
        """The parts the shape rules cut the stretch into, left to right."""
        edges = zip(self.boundaries, self.boundaries[1:], strict=False)
        return [self.parts[edge] for edge in edges]
