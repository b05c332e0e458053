"""The geometry of a page's lines: the projection profiles the tilt and slant are measured by,
and the affine maps between the page, its deskewed copy and a line's image
(digitnet.reading.lines finds the lines with them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from digitnet.common.box import Box
from digitnet.reading.paper.params import PAPER

PROFILE_POINTS = 6000  # ink pixels the tilt and slant are measured on, at most
MAX_SLANT = 0.7  # the shear either way a line's slant may have
SLANT_STEPS = 15  # shears tried
PROFILE_BIN = 2.0  # the tilt's projection profile counts ink in rows this many pixels high


@dataclass(frozen=True)
class Geometry:
    """Where the lines were found: the page scaled by `scale`, then turned by `deskew`."""

    deskew: np.ndarray  # 2x3: the scaled page -> the deskewed copy
    scale: float

    @property
    def from_page(self) -> np.ndarray:
        """2x3: the page's pixels -> the deskewed copy's."""
        return compose(self.deskew, np.array([[self.scale, 0, 0], [0, self.scale, 0]]))

    @property
    def deskew_page(self) -> np.ndarray:
        """2x3: the page -> the deskewed page at the page's own scale."""
        return compose(np.array([[1 / self.scale, 0, 0], [0, 1 / self.scale, 0]]),
                       self.from_page)

    def page_box(self, box: Box) -> Box:
        """A box of the deskewed copy as the page's pixels it covers."""
        return page_box(box, cv2.invertAffineTransform(self.from_page))

    def at_page_scale(self, box: Box) -> Box:
        """A box of the deskewed copy in the deskewed page at the page's scale."""
        k = 1 / self.scale
        return Box(math.floor(box.left * k), math.floor(box.top * k), math.ceil(box.width * k),
                   math.ceil(box.height * k))


def sharpness(points: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Per angle (degrees), how few rows the ink crowds into once the page is turned back by
    it: the sum of squares of its projection profile, in bins of PROFILE_BIN pixels."""
    radians = np.deg2rad(angles)
    # a point's row once turned back by the angle (y down, counter-clockwise tilt)
    rows = points[:, 1:2] * np.cos(radians) + points[:, 0:1] * np.sin(radians)
    return profile_energy(np.floor((rows - rows.min(0)) / PROFILE_BIN).astype(np.int64))


def turning(shape: tuple[int, ...], tilt: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The 2x3 matrix that turns a page of this shape back by `tilt` degrees, into a frame that
    holds all of it, and that frame's (width, height)."""
    height, width = shape[:2]
    if not tilt:
        return np.eye(2, 3), (width, height)
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -tilt, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    size = (math.ceil(width * cos + height * sin), math.ceil(width * sin + height * cos))
    matrix[:, 2] += (np.array(size) - np.array([width, height])) / 2
    return matrix, size


def warp_down(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int],
              scale: float) -> np.ndarray:
    """warpAffine to `size`, first blurring as much as the scale shrinks (no aliasing of thin
    strokes), only around the region the warp reads."""
    inverse = cv2.invertAffineTransform(matrix)
    seen = transform_points(np.array([[0, 0], [size[0], 0], [0, size[1]], [size[0], size[1]]],
                                     np.float64), inverse)
    low = np.maximum(np.floor(seen.min(0)).astype(int) - 4, 0)
    high = np.minimum(np.ceil(seen.max(0)).astype(int) + 4, [image.shape[1], image.shape[0]])
    region = image[low[1]:high[1], low[0]:high[0]]
    if scale < 0.7 and region.size:
        region = cv2.GaussianBlur(region, (0, 0), 0.4 / scale)
    moved = matrix.copy()
    moved[:, 2] += matrix[:, :2] @ low
    return cv2.warpAffine(region, moved, size, flags=cv2.INTER_LINEAR, borderValue=0)


def measure_slant(xs: np.ndarray, ys: np.ndarray) -> float:
    """The shear (x grows by it per row up) at which a line's columns are sharpest: its strokes
    then stand upright. 0 for too little ink."""
    if len(xs) < 2 * PAPER.min_area:
        return 0.0
    if len(xs) > PROFILE_POINTS:
        chosen = np.random.default_rng(0).choice(len(xs), PROFILE_POINTS, replace=False)
        xs, ys = xs[chosen], ys[chosen]
    shears = np.linspace(-MAX_SLANT, MAX_SLANT, SLANT_STEPS)
    # undoing a slant s moves a point by s per row below the middle (slanted writing leans right)
    columns = xs[:, None] + shears[None] * (ys - ys.mean())[:, None]
    columns = np.round(columns - columns.min(0)).astype(np.int64)
    return float(shears[int(np.argmax(profile_energy(columns)))])


def profile_energy(bins: np.ndarray) -> np.ndarray:
    """Per column k of `bins` ([points, K] non-negative bin numbers), the sum of squares of
    its histogram: one bincount for all K."""
    span = int(bins.max()) + 1
    counts = np.bincount((bins + span * np.arange(bins.shape[1])).ravel(),
                         minlength=span * bins.shape[1])
    return np.square(counts.reshape(bins.shape[1], span).astype(np.float64)).sum(axis=1)


def compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """The 2x3 affine matrix of `outer` after `inner`."""
    return np.hstack([outer[:, :2] @ inner[:, :2], (outer[:, :2] @ inner[:, 2] + outer[:, 2])[:,
                                                                                               None]])


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Points (x, y) [N, 2] through a 2x3 affine matrix."""
    return np.asarray(points, np.float64) @ matrix[:, :2].T + matrix[:, 2]


def page_box(box: Box, back: np.ndarray) -> Box:
    """A box of the deskewed page as the page's pixels it covers (the turned box's bounds)."""
    corners = np.array([[box.left, box.top], [box.right, box.top], [box.left, box.bottom],
                        [box.right, box.bottom]], np.float64)
    turned = transform_points(corners, back)
    low, high = np.floor(turned.min(0)).astype(int), np.ceil(turned.max(0)).astype(int)
    return Box(int(low[0]), int(low[1]), int(high[0] - low[0]), int(high[1] - low[1]))
