"""The ink's components grouped into the digits of one line: pieces sharing columns are one
digit, a 5's flag joins its digit, separators, specks, what the border cuts off and what lies
off the line go; the line's digit height and width (step 3 of digitnet.reading.paper)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digitnet.common.box import Box
from digitnet.reading.paper.params import PAPER


@dataclass(frozen=True)
class Group:
    """Some of the ink's connected components (label numbers), taken as one digit, and their
    bounding box, possibly narrowed to a column range by a cut."""

    labels: tuple[int, ...]
    box: Box


@dataclass(frozen=True)
class Line:
    """The line of digits an image holds, before any cut: what candidates are cut from."""

    residual: np.ndarray  # the image's ink, bright, less the paper's tone (ink_residual)
    labels: np.ndarray  # the ink's connected components (components)
    groups: list[Group]  # the components grouped into digits, left to right (digit_groups)
    height: float  # the line's digit height
    width: float  # a digit's width in the line (typical_width)
    flat: bool  # the page has one flat tone (flat_tone): a canvas or a clean scan


def first_height(stats: np.ndarray, shape: tuple[int, ...]) -> float:
    """The digits' height, a first guess before lines are removed, from the `stats` of the
    mask's components (components) in an image of this shape: the largest height of a
    roughly square component, or of any component's shorter side (digits on a ruled line
    are one component with it, as high as they are; a line alone is thin)."""
    stats = stats[1:][stats[1:, cv2.CC_STAT_AREA] >= PAPER.min_area]
    if len(stats) == 0:
        return float(min(shape[:2]))
    widths, heights = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    square = (widths <= 2 * heights) & (heights <= 2 * widths)
    return float(np.where(square, heights, np.minimum(widths, heights)).max())


def digit_groups(stats: np.ndarray, shape: tuple[int, ...],
                 min_area: float) -> tuple[list[Group], float]:
    """The components of at least `min_area` pixels (smaller ones are noise: they join no
    digit) merged into digits, left to right, without separators, specks, lines and the
    paper's edge (see PaperParams); and the line's digit height. A piece above or below a
    digit joins it only if it holds PAPER.piece_share of its ink (a 5's bar, not a speck)."""
    groups: list[Group] = []
    order = np.argsort(-stats[:, cv2.CC_STAT_HEIGHT], kind="stable")
    for label in order[order > 0]:
        if stats[label, cv2.CC_STAT_AREA] < min_area:
            continue
        box = Box(*(int(v) for v in stats[label, :4]))
        for index, group in enumerate(groups):
            share = stats[label, cv2.CC_STAT_AREA] / stats[list(group.labels), -1].sum()
            if overlapping(group.box, box) and (share >= PAPER.piece_share
                                                or group.box.shares_rows(box)):
                groups[index] = Group((*group.labels, int(label)), group.box.union(box))
                break
        else:
            groups.append(Group((int(label),), box))
    height = digit_height([g.box for g in groups], shape)
    kept = [g for g in attach_flags(groups, height)
            if g.box.height >= max(PAPER.separator * height, PAPER.min_height)
            and g.box.height <= PAPER.line_length * height
            and not (g.box.at_border(shape)
                     and not PAPER.border_low * height <= g.box.height <= PAPER.tallest * height)]
    return sorted(on_the_line(kept, stats), key=lambda g: g.box.left + g.box.width / 2), height


def attach_flags(groups: list[Group], height: float) -> list[Group]:
    """The groups with each piece too small to be a digit (PAPER.separator) that lies beside
    the upper half of a digit, PAPER.flag_gap digit heights from it at most, joined to it: a
    5's flag written apart. A "." or "," sits at the baseline and stays apart."""
    digits = [g for g in groups if g.box.height >= PAPER.separator * height]
    result = list(digits)
    for piece in (g for g in groups if g.box.height < PAPER.separator * height):
        for index, digit in enumerate(result):
            gap = max(digit.box.left - piece.box.right, piece.box.left - digit.box.right)
            upper = digit.box.top <= piece.box.bottom <= digit.box.top + digit.box.height / 2
            if gap <= PAPER.flag_gap * height and upper:
                result[index] = Group((*digit.labels, *piece.labels), digit.box.union(piece.box))
                break
        else:
            result.append(piece)
    return result


def on_the_line(groups: list[Group], stats: np.ndarray) -> list[Group]:
    """The groups in the line of digits: those that share half their rows with the group
    whose row neighbours hold the most ink. What lies above or below the number (specks, a
    table's shadowed corner, the line of a second number) is not read."""
    if len(groups) < 2:
        return groups
    area = [int(stats[list(g.labels), cv2.CC_STAT_AREA].sum()) for g in groups]

    def in_line(seed: Box, box: Box) -> bool:
        return 2 * (min(seed.bottom, box.bottom) - max(seed.top, box.top)) >= box.height

    def ink_in_line(seed: Group) -> int:
        return sum(a for g, a in zip(groups, area, strict=True) if in_line(seed.box, g.box))

    seed = max(groups, key=ink_in_line)
    return [g for g in groups if in_line(seed.box, g.box)]


def typical_width(groups: list[Group], height: float) -> float:
    """A digit's width in this line: the median group's, if there are enough groups for the
    median to be a single digit's; else PAPER.digit_aspect of the digits' height."""
    if len(groups) >= 3:
        return float(np.median([g.box.width for g in groups]))
    return PAPER.digit_aspect * height


def digit_height(boxes: list[Box], shape: tuple[int, ...]) -> float:
    """The line's digit height: the median height of the groups at least half as high as the
    highest, those away from the border if there are any (the paper's edge is no digit)."""
    inside = [b.height for b in boxes if not b.at_border(shape)]
    heights = np.array(inside or [b.height for b in boxes] or [0], float)
    return float(np.median(heights[heights >= heights.max() / 2]))


def overlapping(a: Box, b: Box) -> bool:
    """One digit's pieces: they share PAPER.overlap of the narrower one's columns, and are no
    further apart vertically than half the taller one's height."""
    shared = min(a.right, b.right) - max(a.left, b.left)
    apart = max(a.top, b.top) - min(a.bottom, b.bottom)
    return shared >= PAPER.overlap * min(a.width, b.width) and apart <= max(a.height, b.height) / 2


def close_runs(groups: list[Group], height: float) -> list[list[Group]]:
    """The groups in runs of neighbours that could be one digit: no more than PAPER.close
    digit heights apart and, together, no wider than PAPER.one_digit heights."""
    runs: list[list[Group]] = []
    for group in groups:
        if runs:
            box = spanning(runs[-1]).union(group.box)
            if (group.box.left - runs[-1][-1].box.right <= PAPER.close * height
                    and box.width <= PAPER.one_digit * box.height):
                runs[-1].append(group)
                continue
        runs.append([group])
    return runs


def spanning(groups: list[Group]) -> Box:
    """The box around all the groups' boxes."""
    return Box.around(group.box for group in groups)


def one_digit(groups: list[Group]) -> list[Group]:
    """The groups as one if together they are shaped like one digit: no wider than
    PAPER.one_digit times their height, with no gap wider than PAPER.piece_gap of it between
    them (a wide 0 or 2 cut where it narrows). A single digit must read as it did before numbers
    were read; two digits that touch and are together that narrow are rare, and two apart
    stay two however close."""
    if len(groups) < 2:
        return groups
    box = spanning(groups)
    gaps = [b.box.left - a.box.right for a, b in zip(groups, groups[1:], strict=False)]
    if box.width > PAPER.one_digit * box.height or max(gaps) > PAPER.piece_gap * box.height:
        return groups
    return [Group(tuple(label for g in groups for label in g.labels), box)]
