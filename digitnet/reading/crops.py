"""Crops of a page for other readers: a line as the page shows it, turned level (a benchmark's
other readers), and the one character a crop is centred on (predict's --one-digit).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from digitnet.common.box import Box
from digitnet.reading.lines import SIDE_MARGIN, Lines, TextLine, dark_detail, remove_lines
from digitnet.reading.paper.digits import as_ink
from digitnet.reading.paper.ink import components, flat_tone, ink_mask, ink_residual
from digitnet.reading.paper.params import PAPER
from digitnet.reading.parts import Candidate, Classifier, read_parts
from digitnet.reading.preprocess import Ink, to_gray
from digitnet.reading.result import Reading

EDGE = 0.2  # a crop's piece touching its border with its middle this near it came from outside


def line_crop(image: np.ndarray, lines: Lines, line: TextLine,
              margin: float = SIDE_MARGIN) -> np.ndarray:
    """A line as the page shows it, for another reader: uint8 gray, dark ink on light, turned
    level (its slant kept), at the page's own scale, with `margin` line heights around it."""
    gray = to_gray(image)
    if gray.dtype != np.uint8:
        gray = np.round(np.clip(gray, 0, 1) * 255).astype(np.uint8)
    if not lines.dark_ink:
        gray = 255 - gray
    pad = margin * line.height
    left, top = line.frame.left - pad, line.frame.top - pad
    size = (math.ceil(line.frame.width + 2 * pad), math.ceil(line.frame.height + 2 * pad))
    moved = lines.deskew.copy()
    moved[:, 2] -= (left, top)
    return np.asarray(cv2.warpAffine(gray, moved, size, flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_REPLICATE), np.uint8)


def centred_ink(image: np.ndarray, invert: bool | None = None) -> Ink | None:
    """The ink of the one character a crop is centred on (a form's box, a table's cell): of
    the pieces that do not cross its border from outside (touching the border, their middle
    in its outer EDGE share each way: a neighbour's fragment, the box's rule), the one nearest
    its middle, with those sharing PAPER.overlap of their columns with it (a 5's flag, a
    broken stroke); a neighbour beside it is left out. None for a blank crop."""
    gray = to_gray(image)
    unit = gray.astype(np.float32) / 255 if gray.dtype == np.uint8 else gray
    bright = 1 - unit if (dark_detail(unit) if invert is None else invert) else unit
    residual = ink_residual(bright, flat_tone(bright))
    mask = ink_mask(residual)
    if mask is None:
        return None
    labels, stats = components(remove_lines(mask))
    height, width = mask.shape
    boxes = stats[1:, :4].astype(np.float64)
    middles = (boxes[:, :2] + boxes[:, 2:] / 2) / (width, height)
    touching = ((boxes[:, 0] == 0) | (boxes[:, 1] == 0) | (boxes[:, 0] + boxes[:, 2] == width)
                | (boxes[:, 1] + boxes[:, 3] == height))
    outside = (np.abs(middles - 0.5) > 0.5 - EDGE).any(axis=1)
    marks = stats[1:, cv2.CC_STAT_AREA] >= PAPER.min_area
    inside = marks & ~(touching & outside)
    if not marks.any():
        return None
    candidates = inside if inside.any() else marks
    nearest = int(np.argmin(np.where(candidates, np.abs(middles - 0.5).sum(1), np.inf)))
    lefts, rights = boxes[:, 0], boxes[:, 0] + boxes[:, 2]
    shared = np.minimum(rights, rights[nearest]) - np.maximum(lefts, lefts[nearest])
    narrower = np.minimum(boxes[:, 2], boxes[nearest, 2])
    kept = np.flatnonzero(candidates & (shared >= PAPER.overlap * narrower)) + 1
    member = np.isin(labels, kept)
    rows, cols = np.nonzero(member)
    box = Box(int(cols.min()), int(rows.min()), int(np.ptp(cols)) + 1, int(np.ptp(rows)) + 1)
    return as_ink(residual, member[box.top:box.bottom, box.left:box.right], box,
                  (height, width))


def read_centred(classifier: Classifier, image: np.ndarray,
                 invert: bool | None = None) -> Reading:
    """A crop known to hold one digit, read as the digit it is centred on (`centred_ink`),
    neighbours' fragments at its edges left out: predict's --one-digit."""
    ink = centred_ink(image, invert)
    return read_parts(classifier, [Candidate(ink)]) if ink is not None else Reading()
