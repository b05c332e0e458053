"""A fold of a data source as it loads (`Fold`): labels (a digit, or NOT_A_DIGIT), the group
each item came from, what was drawn, and the drawings themselves in their own medium: pen or
mouse trajectories (`Trajectories`), drawings already on a canvas (`Sketches`, `Canvases`) or
images (`Scans`). `Fold.pages` puts each on what a reader gets (the app's canvas, or a scanned
page of ink), `inputs` turns those into the network's 28x28 inputs. digitnet.data.sources
registers the sources and loads their folds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from digitnet.common.digits import IMAGE_SIZE
from digitnet.common.sketch import Sketch
from digitnet.data.ink import InkStyle, ink_page
from digitnet.data.strokes import CanvasStyle, lay_out
from digitnet.reading.preprocess import to_mnist

NOT_A_DIGIT = -1  # the label of a drawing that is not a digit: its target is "none of them"
Style = CanvasStyle | InkStyle  # a trajectory drawn with the app's brush, or in ink on paper


class Drawn(Protocol):
    """Drawings in one medium; `page` puts one on what a reader gets."""

    def __len__(self) -> int: ...

    def page(self, index: int, rng: np.random.Generator, style: Style) -> np.ndarray: ...

    def take(self, chosen: np.ndarray) -> Drawn: ...


@dataclass(frozen=True, eq=False)
class Trajectories:
    """Pen or mouse strokes, each drawing a tuple of [K, 2] (x, y) arrays, any units, y down."""

    strokes: Sequence[tuple[np.ndarray, ...]]

    def __len__(self) -> int:
        return len(self.strokes)

    def page(self, index: int, rng: np.random.Generator, style: Style) -> np.ndarray:
        """On the app's canvas (a CanvasStyle; white on black), or in ink on a scanned page (an
        InkStyle; dark on light)."""
        strokes = self.strokes[index]
        if isinstance(style, InkStyle):
            return ink_page(strokes, rng, style)
        return lay_out(strokes, rng, style).render()

    def take(self, chosen: np.ndarray) -> Trajectories:
        return Trajectories([self.strokes[i] for i in chosen])


@dataclass(frozen=True, eq=False)
class Sketches:
    """Drawings already placed on a canvas (generated ones): their page is their canvas."""

    sketches: Sequence[Sketch]

    def __len__(self) -> int:
        return len(self.sketches)

    def page(self, index: int, rng: np.random.Generator, style: Style) -> np.ndarray:
        return self.sketches[index].render()

    def take(self, chosen: np.ndarray) -> Sketches:
        return Sketches([self.sketches[i] for i in chosen])


@dataclass(frozen=True, eq=False)
class Canvases:
    """Canvases already drawn, of any size and either polarity: each is its own page."""

    canvases: Sequence[np.ndarray]

    def __len__(self) -> int:
        return len(self.canvases)

    def page(self, index: int, rng: np.random.Generator, style: Style) -> np.ndarray:
        return self.canvases[index]

    def take(self, chosen: np.ndarray) -> Canvases:
        return Canvases([self.canvases[i] for i in chosen])


@dataclass(frozen=True, eq=False)
class Scans:
    """Images as they were captured: uint8 [N, H, W], dark ink on paper (`dark_ink`) or light
    ink on black; `framed` if they already are the network's inputs (MNIST's)."""

    images: np.ndarray
    dark_ink: bool
    framed: bool = False

    def __len__(self) -> int:
        return len(self.images)

    def page(self, index: int, rng: np.random.Generator, style: Style) -> np.ndarray:
        return self.images[index]

    def take(self, chosen: np.ndarray) -> Scans:
        return replace(self, images=self.images[chosen])


@dataclass(frozen=True, eq=False)
class Fold:
    """One fold of one source: each item's label, group and name, and the drawings."""

    source: str
    fold: str
    labels: np.ndarray  # int64: the digit, or NOT_A_DIGIT
    groups: np.ndarray  # str: who or what it came from (writer, provider/writer, category, kind)
    names: np.ndarray  # str: what was drawn ('7', 'a', 'cat', 'zigzag')
    drawn: Drawn

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, chosen: np.ndarray) -> Fold:
        """The items at these indices, in this order."""
        return Fold(self.source, self.fold, self.labels[chosen], self.groups[chosen],
                    self.names[chosen], self.drawn.take(chosen))

    def where(self, keep: np.ndarray) -> Fold:
        """The items where `keep` (bool [N]) is true, in order."""
        return self.take(np.flatnonzero(keep))

    def dark_ink(self, style: Style) -> bool | None:
        """Whether the pages are dark ink on light paper (False: light ink on black; None:
        either, as canvases drawn elsewhere may be: the canvas transform tells)."""
        if isinstance(self.drawn, Scans):
            return self.drawn.dark_ink
        if isinstance(self.drawn, Canvases):
            return None
        return isinstance(self.drawn, Trajectories) and isinstance(style, InkStyle)

    def pages(self, style: Style, seed: int) -> Iterator[np.ndarray]:
        """Each drawing as a reader gets it (one seeded generator for all, in order)."""
        rng = np.random.default_rng(seed)
        for i in range(len(self)):
            yield self.drawn.page(i, rng, style)


def inputs(fold: Fold, style: Style, seed: int) -> np.ndarray:
    """The network's inputs for a fold's drawings, uint8 [N, 28, 28]: each page through the
    canvas transform (a blank one stays black); framed images as they are."""
    if isinstance(fold.drawn, Scans) and fold.drawn.framed:
        return fold.drawn.images
    out = np.zeros((len(fold), IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    invert = fold.dark_ink(style)
    for i, page in enumerate(fold.pages(style, seed)):
        image = to_mnist(page, invert=invert)
        if image is not None:
            out[i] = np.round(image * 255)
    return out
