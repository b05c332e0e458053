"""An image's digits, left to right: where the paper reader starts (see digitnet.reading.paper
for its steps). `find_digits` is the shape's choice alone; `candidate_parts` offers every way
to cut the shape cannot settle, for a model to choose (digitnet.reading.read.read_canvas)."""

from __future__ import annotations

import math

import cv2
import numpy as np

from digitnet.common.box import Box
from digitnet.reading.paper.clutter import remove_flat_regions, remove_ruled_lines
from digitnet.reading.paper.groups import (
    Line,
    close_runs,
    digit_groups,
    first_height,
    typical_width,
)
from digitnet.reading.paper.ink import components, dark_ink, flat_tone, ink_mask, ink_residual
from digitnet.reading.paper.lattice import run_lattice
from digitnet.reading.paper.params import PAPER
from digitnet.reading.preprocess import INK_THRESHOLD, Ink, find_ink, to_gray
from digitnet.reading.stretch import Stretch


def find_digits(image: np.ndarray, invert: bool | None = None) -> list[Ink]:
    """The digits of any image `to_gray` takes, left to right, as the shape rules alone cut
    them (each of `candidate_parts`' stretches cut where its shape says); [] if there are none.

    invert: True for dark ink on light paper, False for light ink on dark, None to detect.
    Each part's `image_shape` is the region its speck test sees (PAPER.speck_context line
    heights, at most the image): a small digit in a large photo is then no speck, a lone dot
    still is.
    """
    return [part for stretch in candidate_parts(image, invert) for part in stretch.shape_parts]


def candidate_parts(image: np.ndarray, invert: bool | None = None) -> list[Stretch[Ink]]:
    """The image's digits, left to right, in stretches whose cut the shape alone cannot settle,
    for a model to choose (Stretch). A stretch is pieces close enough together to be one digit
    (a "1" beside a "0", a 0 in two halves), each group among them cut where the shape rules
    cut it (split_wide) and, if wide enough to be digits touching, along PAPER.cuts cut paths
    per place where two may touch (cut_paths: also slanted, or bending round a stroke). [] for a
    blank image; see find_digits for `invert` and the parts."""
    line = find_line(image, invert)
    if line is None:
        return []
    if not line.groups:  # only marks too small for a digit: on a flat page, a speck as before
        reference = find_ink(image, invert) if line.flat else None
        return [Stretch({(0, 1): reference}, (0, 1), float(reference.box.height))
                ] if reference is not None else []
    runs = close_runs(line.groups, line.height)
    lattices = [run_lattice(run, line, alone=len(runs) == 1) for run in runs]
    pieces = [lattice.pieces(line.height) for lattice in lattices]
    context = _context([pieces[k][edge][0] for k, lattice in enumerate(lattices)
                        for edge in zip(lattice.shape, lattice.shape[1:], strict=False)],
                       line.labels.shape)
    stretches = [Stretch({edge: as_ink(line.residual, member, box, context)
                          for edge, (box, member) in found.items()}, lattice.shape, line.height)
                 for lattice, found in zip(lattices, pieces, strict=True)]
    reference = find_ink(image, invert) if len(stretches) == 1 else None
    whole = (0, stretches[0].last)
    if reference is not None and whole in stretches[0].parts:  # one digit reads as before
        if as_before(reference.box, stretches[0].parts[whole].box, line.flat):
            stretches[0].parts[whole] = reference
    return stretches


def find_line(image: np.ndarray, invert: bool | None) -> Line | None:
    """The image's line of digits (steps 1 to 3 of digitnet.reading.paper), None if blank."""
    gray = to_gray(image)
    unit = gray.astype(np.float32) / 255 if gray.dtype == np.uint8 else gray
    if invert is None:
        invert = dark_ink(unit)
    bright = 1 - unit if invert else unit
    flat = flat_tone(bright)
    residual = ink_residual(bright, flat)
    mask = ink_mask(residual)
    if mask is None:
        return None
    if flat is None:  # a flat page has no table: ink at its edge is a tightly cropped digit
        mask = remove_flat_regions(mask)
    labels, stats = components(mask)
    first = first_height(stats, mask.shape)
    cleaned = remove_ruled_lines(mask, first)
    if cleaned is not mask:  # lines were removed: other components
        mask = cleaned
        labels, stats = components(mask)
    least = max(PAPER.min_area, (PAPER.speck_side * first) ** 2)  # smaller components: noise
    groups, height = digit_groups(stats, mask.shape, least)
    return Line(residual, labels, groups, height, typical_width(groups, height),
                flat is not None)


def as_ink(residual: np.ndarray, member: np.ndarray, box: Box,
           image_shape: tuple[int, int]) -> Ink:
    """The ink of a part (`member`, its pixels: a mask over `box`), with a one-pixel fringe
    for anti-aliasing, relative to its peak."""
    window = (slice(box.top, box.bottom), slice(box.left, box.right))
    near = cv2.dilate(member.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    ink = np.where(near, np.clip(residual[window], 0, None), 0).astype(np.float32)
    ink /= max(float(ink[member].max()), 1e-6)
    crop = np.clip(ink, 0, 1)
    mask = np.asarray(crop > INK_THRESHOLD, np.uint8) * np.uint8(255)
    return Ink(crop, mask, image_shape, box)


def _context(boxes: list[Box], shape: tuple[int, ...]) -> tuple[int, int]:
    """The region a part's speck test sees: PAPER.speck_context times the line's height (that
    of the parts' `boxes`), at most the image (see find_digits)."""
    if not boxes:
        return (shape[0], shape[1])
    line = max(b.bottom for b in boxes) - min(b.top for b in boxes)
    side = math.ceil(PAPER.speck_context * line)
    return (min(shape[0], side), min(shape[1], side))


def as_before(whole: Box, part: Box, flat: bool) -> bool:
    """True if a single part is best read as the whole image's ink (find_ink's, as before
    numbers were read), whose box is `whole`: the boxes are the same (Box.roughly_equals), or,
    on a flat page (no shadow, table or noise to find_ink), `whole` reaches no more than
    PAPER.before_reach of the part's height beyond it (a 5's flag the part left out, not a far
    speck or a ruled line across the page)."""
    if whole.roughly_equals(part):
        return True
    reach = PAPER.before_reach * part.height
    return flat and (part.left - reach <= whole.left and whole.right <= part.right + reach
                     and part.top - reach <= whole.top and whole.bottom <= part.bottom + reach)
