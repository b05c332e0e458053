"""What on paper is not writing: a table or the paper's edge along the image's border (a flat
region, solid ink) and ruled lines (long straight runs), taken out of the ink mask before its
components are grouped into digits (step 2 of digitnet.reading.paper)."""

from __future__ import annotations

import cv2
import numpy as np

from digitnet.common.box import Box
from digitnet.reading.paper.ink import components
from digitnet.reading.paper.params import PAPER


def remove_flat_regions(mask: np.ndarray) -> np.ndarray:
    """The mask without solid regions along the border far thicker than a stroke (a table or
    the paper's edge: a flat tone, not ink), nor the pieces that lie wholly within a cell of
    them (their ragged rim) or between the image's edge and the region's far side (bits of
    it that shadow made too faint to be solid)."""
    region = flat_region(mask)
    if region is None:
        return mask
    rest = np.where(region > 0, np.uint8(0), mask)
    count, pieces = cv2.connectedComponents(rest, None, 8)
    cell = 2 * round(min(mask.shape) / PAPER.background_side) + 1
    near = cv2.dilate(region, np.ones((cell, cell), np.uint8)) > 0
    table = near & (cv2.dilate(region, np.ones((3, 3), np.uint8)) > 0)  # touching it
    for axis, flip in ((1, False), (1, True), (0, False), (0, True)):  # left, right, top, bottom
        side = np.flip(region > 0, axis) if flip else region > 0
        runs = np.where(side.all(axis=axis), side.shape[axis], np.argmin(side, axis=axis))
        depth = int(runs.max())  # how far the region reaches in from this side
        if 4 * depth >= side.shape[axis] or 4 * np.count_nonzero(
                side[:, 0] if axis == 1 else side[0]) < side.shape[1 - axis]:
            continue  # no table along this side (or one that covers a quarter of the image)
        band = np.zeros(mask.shape, bool)
        reach = slice(-(depth + cell), None) if flip else slice(0, depth + cell)
        band[(slice(None), reach) if axis == 1 else (reach, slice(None))] = True
        near |= band
        table |= band
    inside = np.bincount(pieces[table].ravel(), minlength=count) > 0
    beyond = np.bincount(pieces[~near].ravel(), minlength=count) > 0
    rim = inside & ~beyond
    rim[0] = False
    return np.where(rim[pieces], np.uint8(0), rest)


def flat_region(mask: np.ndarray) -> np.ndarray | None:
    """uint8 mask of the solid regions that run along a quarter of a side of the image or
    more, where the image's edge is ink too, or None. Judged on a copy background_side pixels
    on its short side, where such a region fills whole 3x3 blocks of cells (PAPER.solid: a
    dark table's residual can be as faint as the noise, so only part of it counts as ink);
    images too small for that to exclude strokes have none."""
    height, width = mask.shape
    scale = PAPER.background_side / min(height, width)
    inked = [bool(np.count_nonzero(side) >= len(side) / 4)
             for side in (mask[:, 0], mask[:, -1], mask[0], mask[-1])]  # left, right, top, bottom
    if scale > 1 / 3 or not any(inked):
        return None
    small = cv2.resize(mask, (round(width * scale), round(height * scale)),
                       interpolation=cv2.INTER_AREA)
    solid = cv2.morphologyEx(np.asarray(small >= PAPER.solid * 255, np.uint8), cv2.MORPH_OPEN,
                             np.ones((3, 3), np.uint8))
    labels, stats = components(solid)
    edges = [n for n in range(1, len(stats))
             if along_border(Box(*stats[n, :4]), small.shape, inked)]
    if not edges:
        return None
    region = cv2.dilate(np.isin(labels, edges).astype(np.uint8), np.ones((3, 3), np.uint8))
    return np.asarray(cv2.resize(region, (width, height), interpolation=cv2.INTER_NEAREST))


def along_border(box: Box, shape: tuple[int, ...], inked: list[bool]) -> bool:
    """True if the box runs along a quarter or more of a side of the image whose edge is
    `inked` (left, right, top, bottom) at that side: a table reaches the image's edge, a
    stroke near it does not."""
    left, right, top, bottom = inked
    sideways = (left and box.left == 0) or (right and box.right == shape[1])
    upright = (top and box.top == 0) or (bottom and box.bottom == shape[0])
    return (sideways and 4 * box.height >= shape[0]) or (upright and 4 * box.width >= shape[1])


def remove_ruled_lines(mask: np.ndarray, height: float) -> np.ndarray:
    """The mask without straight horizontal runs PAPER.line_length digit heights and a quarter
    of the image long. Where ink is thicker across the line than the line itself (a stroke
    crossing it, a digit's stroke lying on it), it stays: digits keep their shape. (A
    vertical line is told from a 1 by its height: see digit_groups.) `height`: first_height."""
    length = max(3, round(PAPER.line_length * height), mask.shape[1] // 4)
    # widened across the run, a slightly tilted line is one run; closed along it, a faint
    # line broken into dashes is too
    widened = cv2.dilate(mask, kernel(3, 0))
    found = np.zeros_like(mask)
    rows = rows_spanning(widened, length // 2 - 2)  # the only rows a run can be found in
    if len(rows):  # each row on its own (the kernels are one row high): the long rows alone
        joined = cv2.morphologyEx(widened[rows], cv2.MORPH_CLOSE,
                                  kernel(max(3, round(height / 4)), 1))
        found[rows] = cv2.morphologyEx(joined, cv2.MORPH_OPEN, kernel(length, 1))
    if found.any():  # runs go on past the image's edge: there, half as long is enough
        labels, stats = components(found)
        found = np.where((stats[:, cv2.CC_STAT_WIDTH] >= length / 2)[labels], found, np.uint8(0))
    lines = cv2.dilate(found, kernel(3, 0)) & mask
    if not lines.any():
        return mask
    on_line = lines > 0
    starts = int(np.count_nonzero(on_line[0])) + int(np.count_nonzero(on_line[1:] & ~on_line[:-1]))
    thickness = int(np.count_nonzero(on_line)) / max(1, starts)
    thick = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel(round(1.5 * thickness) + 2, 0)) > 0
    return np.where(on_line & ~thick, np.uint8(0), mask)


def rows_spanning(mask: np.ndarray, columns: int) -> np.ndarray:
    """The indices of the rows whose ink spans at least this many columns, first to last."""
    inked = mask > 0
    first = np.argmax(inked, axis=1)
    last = mask.shape[1] - 1 - np.argmax(inked[:, ::-1], axis=1)
    return np.flatnonzero(inked.any(axis=1) & (last - first + 1 >= columns))


def kernel(length: int, axis: int) -> np.ndarray:
    """A line of ones, `length` long down the columns (axis 0) or along the rows (axis 1)."""
    return np.ones((length, 1) if axis == 0 else (1, length), np.uint8)
