"""Image segmentation: the digits of a photo, scan or canvas, each as an Ink, left to right.

`find_ink` takes every pixel brighter than its threshold as ink, which is right for a canvas and
wrong for paper: uneven light, camera noise and a table edge become ink too. Here:

1. The paper's own tone is estimated locally (an opening of a downscaled copy: it follows
   shadows and gradients but passes under strokes; a canvas's single flat tone is taken as
   is), and ink is what stands out from it by more than the camera noise (NOISE_SIGMAS) and
   by INK_THRESHOLD of the ink's contrast, as in `find_ink`.
2. What is not a digit goes: a table or the paper's edge (solid ink along the image's border),
   ruled lines (straight runs LINE_LENGTH digit heights long, kept where a stroke crosses
   them), specks and separators such as "." and "," (far less high than the line's digits),
   what the border cuts off, and anything off the line of digits.
3. The rest is grouped into digits: pieces sharing columns are one digit (a 5's loose bar, a
   broken stroke); a group too wide for one digit is cut at a junction (one or two strokes,
   no loop, a valley in the ink per column), and ink shaped like one digit stays one.
4. Where the shape cannot settle it (pieces close enough to be one digit, a group wide enough
   to be digits touching), `candidate_parts` gives the other ways to cut too, for a model to
   choose (digitnet.reading.read.read_canvas): boundaries between the pieces, at the shape's cuts
   and along least-ink cut paths through wide groups (which may slant or bend round a
   stroke), and every part between two of them that could be a digit; `find_digits` is the
   shape's choice alone.

One part on a flat page (a canvas, a clean scan) whose ink find_ink's box hardly exceeds is
exactly `find_ink`'s Ink, so a single digit reads as before; elsewhere (a photo, a part the
cut left out much of) the part is what segmentation found, and may read otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from digitnet.reading.preprocess import INK_THRESHOLD, Box, Ink, find_ink, to_gray
from digitnet.reading.stretch import Stretch

BACKGROUND_SIDE = 64  # the paper's tone is estimated on a copy this many pixels on its short side
BACKGROUND_KERNEL = 0.15  # ... with an opening this share of that side: wider than any stroke
FLAT = 0.5  # paper of which this share has one exact tone (a canvas, a clean scan) is that tone
NOISE_SIGMAS = 5.0  # ink stands out from the paper by this many noise deviations
NOISY = 1.5 / 255  # above this noise (unit scale), the residual is smoothed before thresholding
MIN_PEAK = 0.1  # ink fainter than this (unit scale) is no ink: a blank image
MIN_AREA = 4  # components smaller than this many pixels are noise
SPECK_SIDE = 0.08  # ... and those smaller than a square this share of the digits' height
SOLID = 0.4  # a cell of the flat-region test this much ink is solid
LINE_LENGTH = 3.0  # a straight run this many digit heights long is a ruled line
MIN_HEIGHT = 6  # no digit is less high than this many pixels
SEPARATOR = 0.4  # a group less high than this share of the line's digits is a "." "," or speck
FLAG_GAP = 0.25  # ... unless it lies this close beside a digit's upper half: a 5's flag
TALLEST = 1.5  # a group at the border taller than this many digit heights is the paper's edge
BORDER_LOW = 0.6  # ... and one lower than this share of them is cut off, or the table's rim
OVERLAP = 0.5  # pieces sharing this share of the narrower one's width are one digit
PIECE_SHARE = 0.03  # ... and, above or below it, hold this share of its ink
SPLIT_WIDTH = 1.6  # a group this many typical digit widths wide is several digits: cut
DIGIT_ASPECT = 0.8  # a wide digit's width for its height, when the line has too few to measure
MAX_RUNS = 2  # strokes a junction column may cross
THIN = 1.5  # a junction holds at most this many strokes' widths of ink
MAYBE_SPLIT = 1.35  # from this many heights wide, cut where a narrow junction says two touch
ONE_DIGIT = 1.45  # ink no wider than this many times its height (a wide 0 or 2, not cut),
PIECE_GAP = 0.0  # ... in pieces that touch (a gap of this share of its height), is one digit
CLOSE = 0.15  # neighbours this many digit heights apart or closer may be one digit: a model says
# Candidate cuts for a model to choose among (digitnet.reading.read.best_way), all chosen on tuning
# fold 1 (bench/written_numbers.py --fold 1, weights that never learnt its writers):
CUT_WIDTH = 0.75  # a group this many digit heights wide may be digits touching: a model says
CUTS = 2  # ... offered this many cut paths
CUT_SPACING = 0.5  # ... in each stretch of it this many digit heights wide
CUT_INSET = 0.2  # ... none of them nearer its sides than this many digit heights
CUT_SIDE = 0.6  # ... each side holding as much ink as a stroke this many digit heights long
DRIFT_COST = 0.5  # a cut path's cost per column it drifts sideways, against 1 per ink pixel
MAX_CUT_STROKES = 3.0  # a path through more ink than this many strokes' widths is no cut
SAME_CUT = 0.02  # cuts whose sides differ by less than this share of the group's ink are one
PART_WIDTH = 1.2  # a candidate part (other than the shape's) is at most this many heights wide
PART_HEIGHT = 0.75  # ... and at least this share of the line's digit height high
# ... and for speed, with the same figures on fold 1:
DP_ROWS = 128  # cut paths are found on a copy of the group this many rows high at most
TRACED = 8  # ... the cheapest this many times as many as could be taken traced back
BEFORE_REACH = 0.6  # one part on a flat page is the whole ink if that lies this near (as_before)
SPECK_CONTEXT = 5.0  # a part's speck test sees a region this many line heights across


@dataclass(frozen=True)
class Group:
    """Some of the ink's connected components (label numbers), taken as one digit, and their
    bounding box, possibly narrowed to a column range by a cut."""

    labels: tuple[int, ...]
    box: Box


def find_digits(image: np.ndarray, invert: bool | None = None) -> list[Ink]:
    """The digits of any image `to_gray` takes, left to right, as the shape rules alone cut
    them (each of `candidate_parts`' stretches cut where its shape says); [] if there are none.

    invert: True for dark ink on light paper, False for light ink on dark, None to detect.
    Each part's `image_shape` is the region its speck test sees (SPECK_CONTEXT line heights,
    at most the image): a small digit in a large photo is then no speck, a lone dot still is.
    """
    return [part for stretch in candidate_parts(image, invert) for part in stretch.shape_parts]


def candidate_parts(image: np.ndarray, invert: bool | None = None) -> list[Stretch[Ink]]:
    """The image's digits, left to right, in stretches whose cut the shape alone cannot settle,
    for a model to choose (Stretch). A stretch is pieces close enough together to be one digit
    (a "1" beside a "0", a 0 in two halves), each group among them cut where the shape rules
    cut it (split_wide) and, if wide enough to be digits touching, along CUTS cut paths per
    place where two may touch (cut_paths: also slanted, or bending round a stroke). [] for a
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


@dataclass(frozen=True)
class Line:
    """The line of digits an image holds, before any cut: what candidates are cut from."""

    residual: np.ndarray  # the image's ink, bright, less the paper's tone (ink_residual)
    labels: np.ndarray  # the ink's connected components (components)
    groups: list[Group]  # the components grouped into digits, left to right (digit_groups)
    height: float  # the line's digit height
    width: float  # a digit's width in the line (typical_width)
    flat: bool  # the page has one flat tone (flat_tone): a canvas or a clean scan


def find_line(image: np.ndarray, invert: bool | None) -> Line | None:
    """The image's line of digits (steps 1 and 2 of the module's docstring), None if blank."""
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
    groups, height = digit_groups(stats, mask.shape, max(MIN_AREA, (SPECK_SIDE * first) ** 2))
    return Line(residual, labels, groups, height, typical_width(groups, height),
                flat is not None)


def close_runs(groups: list[Group], height: float) -> list[list[Group]]:
    """The groups in runs of neighbours that could be one digit: no more than CLOSE digit
    heights apart and, together, no wider than ONE_DIGIT heights."""
    runs: list[list[Group]] = []
    for group in groups:
        if runs:
            box = union(spanning(runs[-1]), group.box)
            if (group.box.left - runs[-1][-1].box.right <= CLOSE * height
                    and box.width <= ONE_DIGIT * box.height):
                runs[-1].append(group)
                continue
        runs.append([group])
    return runs


@dataclass(frozen=True)
class Lattice:
    """A run of close groups with its boundaries, left to right: `sides[k]` is the ink left of
    boundary k (a bool mask over `frame`: the first empty, the last all the run's ink), each
    holding the one before it; `shape` the boundaries the shape rules cut at, `ends` those
    between its groups (0 and the last included)."""

    frame: Box  # the run's box in the image
    sides: list[np.ndarray]
    shape: tuple[int, ...]
    ends: tuple[int, ...]

    def pieces(self, height: float) -> dict[tuple[int, int], tuple[Box, np.ndarray]]:
        """The ink between each two boundaries that could be a digit of a line `height`
        pixels high (no wider than PART_WIDTH heights, at least PART_HEIGHT of them high), and
        whatever they are the shape's parts, each group whole and the run whole (a digit the
        shape cut, pieces of one digit): per pair (i, j), its box and mask there. A cut's
        fragment less high than a digit (a loop's end, a bar, a tail) is no candidate: the
        model reads many such confidently as a "1" or a "7", splitting one digit in two."""
        kept = {*zip(self.shape, self.shape[1:], strict=False),
                 *zip(self.ends, self.ends[1:], strict=False), (0, len(self.sides) - 1)}
        found: dict[tuple[int, int], tuple[Box, np.ndarray]] = {}
        width = self.frame.width
        ink = self.sides[-1]
        rest = [np.asarray((ink & ~side).any(axis=0)) for side in self.sides]  # right of each
        firsts = [int(np.argmax(r)) if r.any() else width for r in rest]
        held = [np.asarray(side.any(axis=0)) for side in self.sides]  # ... and left of it
        lasts = [width - int(np.argmax(h[::-1])) if h.any() else 0 for h in held]
        for start in range(len(self.sides) - 1):
            too_wide = False  # a part only grows with the boundary that ends it
            for stop in range(start + 1, len(self.sides)):
                if too_wide and (start, stop) not in kept:
                    continue
                piece = self.piece(start, stop, slice(firsts[start], max(firsts[start],
                                                                         lasts[stop])))
                if piece is None:
                    continue
                box = piece[0]
                too_wide = box.width > PART_WIDTH * height
                if (start, stop) in kept or (not too_wide
                                             and box.height >= PART_HEIGHT * height):
                    found[start, stop] = piece
        return {edge: found[edge] for edge in on_paths(set(found), len(self.sides) - 1)}

    def piece(self, start: int, stop: int,
              columns: slice) -> tuple[Box, np.ndarray] | None:
        """The ink between two boundaries, which lies in these columns of the frame: its tight
        box in the image and its mask there; None if it holds fewer than MIN_AREA pixels."""
        between = self.sides[stop][:, columns] & ~self.sides[start][:, columns]
        rows, inked = np.flatnonzero(between.any(1)), np.flatnonzero(between.any(0))
        if len(rows) == 0 or np.count_nonzero(between) < MIN_AREA:
            return None
        top, bottom, left, right = rows[0], rows[-1] + 1, inked[0], inked[-1] + 1
        box = Box(self.frame.left + columns.start + int(left), self.frame.top + int(top),
                  int(right - left), int(bottom - top))
        return box, between[top:bottom, left:right]


def on_paths(edges: set[tuple[int, int]], last: int) -> list[tuple[int, int]]:
    """The edges (boundary i to j) on some path from boundary 0 to `last`: only they can be
    part of a way to cut the ink, so only they need be read."""
    reached, leads = {0}, {last}
    for start, stop in sorted(edges):
        if start in reached:
            reached.add(stop)
    for start, stop in sorted(edges, reverse=True):
        if stop in leads:
            leads.add(start)
    return [(start, stop) for start, stop in sorted(edges)
            if start in reached and stop in leads]


def run_lattice(run: list[Group], line: Line, alone: bool) -> Lattice:
    """The run's boundaries: between its groups, and within each group where the shape rules
    cut it (split_wide; the whole run as one part if `alone` and shaped like one digit, see
    one_digit) and along its candidate cut paths (group_sides)."""
    frame = spanning(run)
    before = np.zeros((frame.height, frame.width), bool)
    sides, shape, ends, splits = [before], [0], [0], []
    for group in run:
        box = group.box
        rows = slice(box.top - frame.top, box.bottom - frame.top)
        columns = slice(box.left - frame.left, box.right - frame.left)
        member = np.isin(line.labels[box.top:box.bottom, box.left:box.right], group.labels)
        own = np.zeros_like(before)
        own[rows, columns] = member
        parts = split_wide(group, member, line.height, line.width)
        splits += parts
        cuts = [part.box.left - box.left for part in parts[1:]]
        paths = cut_paths(member, line) if box.width >= CUT_WIDTH * line.height else []
        for side, from_shape in group_sides(before, own, (rows, columns), cuts, paths):
            sides.append(side)
            if from_shape:
                shape.append(len(sides) - 1)
        before = before | own
        sides.append(before)
        shape.append(len(sides) - 1)
        ends.append(len(sides) - 1)
    if alone and len(one_digit(splits)) == 1:
        shape = [0, len(sides) - 1]
    return Lattice(frame, sides, tuple(shape), tuple(ends))


def group_sides(before: np.ndarray, own: np.ndarray, window: tuple[slice, slice],
                cuts: list[int], paths: list[np.ndarray]) -> list[tuple[np.ndarray, bool]]:
    """The sides of a group's boundaries (the ink left of each, over the run's frame; `before`
    the run's ink left of the group, `own` the group's, `window` its box in the frame), left to
    right, and whether each is one of the shape's `cuts` (columns of its box; always kept) or
    one of the candidate `paths` (a column per row of its box; kept if it differs from the
    others by SAME_CUT of the group's ink, and made to lie between its shape cuts)."""
    rows, columns = window
    width = own.shape[1]

    def side(path: np.ndarray) -> np.ndarray:
        left = np.zeros_like(own)
        left[rows] = np.arange(width) < (path[:, None] + columns.start)
        return before | (own & left)

    height = rows.stop - rows.start
    shape = [before, *(side(np.full(height, cut)) for cut in cuts), before | own]
    found: list[tuple[np.ndarray, bool]] = [(s, True) for s in shape[1:-1]]
    same = max(1.0, SAME_CUT * np.count_nonzero(own))
    kept = [*shape]
    for path in paths:
        bay = int(np.searchsorted(cuts, np.median(path), side="right"))
        candidate = (side(path) | shape[bay]) & shape[bay + 1]
        if all(np.count_nonzero(candidate ^ other) >= same for other in kept):
            kept.append(candidate)
            found.append((candidate, False))
    found.sort(key=lambda item: np.count_nonzero(item[0]))
    for k in range(1, len(found)):  # each holds the one before: no two cuts cross
        found[k] = (found[k][0] | found[k - 1][0], found[k][1])
    return found


def cut_paths(member: np.ndarray, line: Line) -> list[np.ndarray]:
    """Where touching digits in a group (its ink `member`) may part: paths from its top to its
    bottom through the least ink, drifting at most a column a row (DRIFT_COST each), through
    no more ink than MAX_CUT_STROKES strokes' widths, leaving each side a digit's ink
    (CUT_SIDE); in each stretch CUT_SPACING digit heights wide across the group, the CUTS
    cheapest that differ from the others by a stroke's width. A path may slant with the
    writing or bend round a stroke reaching under a neighbour, which no straight cut
    separates. Found on a copy at most DP_ROWS rows high (its row a few of the group's, so a
    path drifts a column every few rows at most); per path, its column in each row."""
    height, width = member.shape
    inset = round(CUT_INSET * line.height)
    if height < 3 * MIN_HEIGHT or width <= 2 * inset + 2:
        return []
    scale = max(1, round(height / DP_ROWS))  # rows of the group a row of the copy stands for
    small = cv2.resize(member.astype(np.float32), (width, -(-height // scale)),
                       interpolation=cv2.INTER_AREA)  # each cell: its share of ink
    totals = least_ink_totals(small * scale, DRIFT_COST)  # in pixels of ink
    stroke = min(stroke_width(member), stroke_width(member.T))  # slanted strokes: the less
    ends = np.arange(inset, width - inset)
    bottom = totals[-1, ends]
    lowest = cv2.erode(bottom.reshape(1, -1), np.ones((1, 3), np.uint8),
                       borderType=cv2.BORDER_REPLICATE).ravel()  # local minima
    ends = ends[(bottom <= lowest) & (bottom <= MAX_CUT_STROKES * stroke)]
    slots = math.ceil(width / (CUT_SPACING * line.height))
    ends = ends[np.argsort(totals[-1, ends], kind="stable")][:TRACED * CUTS * slots]
    paths: list[np.ndarray] = []
    taken: dict[int, int] = {}  # per stretch of the group, the paths taken there
    before = np.pad(np.cumsum(member, axis=1), ((0, 0), (1, 0)))  # ink left of each column
    least = CUT_SIDE * line.height * stroke  # a digit's ink at least: a 1
    rows = np.arange(height)
    for found in trace_back(totals, ends, DRIFT_COST):
        path = found[rows // scale]
        left = int(before[rows, path].sum())
        if min(left, int(before[:, -1].sum()) - left) < least:
            continue  # a flag or a serif cut off, not a digit
        where = int(path.mean() // (CUT_SPACING * line.height))
        if taken.get(where, 0) < CUTS and all(np.abs(path - other).mean() >= stroke
                                              for other in paths):
            paths.append(path)
            taken[where] = taken.get(where, 0) + 1
    return paths


def least_ink_totals(cost: np.ndarray, drift: float) -> np.ndarray:
    """Per row and column, the least cost of a path from the top row down to there: each cell
    on it costs `cost`, a column's step sideways `drift` (at most one a row). float32."""
    totals = np.empty_like(cost)
    totals[0] = cost[0]
    for row in range(1, len(cost)):
        above = totals[row - 1]
        best = above.copy()
        np.minimum(best[1:], above[:-1] + drift, out=best[1:])
        np.minimum(best[:-1], above[1:] + drift, out=best[:-1])
        totals[row] = best + cost[row]
    return totals


def trace_back(totals: np.ndarray, ends: np.ndarray, drift: float) -> list[np.ndarray]:
    """The least-cost paths (least_ink_totals, with this cost of a step sideways) ending at
    these columns of the bottom row: per path, its column in each row."""
    if not len(ends):
        return []
    padded = np.pad(totals, ((0, 0), (1, 1)), constant_values=np.inf)  # no step off the sides
    paths = np.empty((len(totals), len(ends)), np.intp)
    paths[-1] = ends + 1
    steps = np.array([-1, 0, 1])
    steps_cost = np.array([drift, 0.0, drift])
    rows = np.arange(len(ends))
    for row in range(len(totals) - 1, 0, -1):
        near = paths[row][:, None] + steps
        paths[row - 1] = near[rows, np.argmin(padded[row - 1][near] + steps_cost, axis=1)]
    return list(paths.T - 1)


def stroke_width(member: np.ndarray) -> float:
    """The median vertical run of ink: about a stroke's width (more, across slanted ones)."""
    padded = np.pad(member, ((1, 1), (0, 0)))
    starts = np.flatnonzero((padded[1:] & ~padded[:-1]).T.ravel())
    ends = np.flatnonzero((~padded[1:] & padded[:-1]).T.ravel())
    return float(np.median(ends - starts)) if len(starts) else 1.0


def spanning(groups: list[Group]) -> Box:
    """The box around all the groups' boxes."""
    box = groups[0].box
    for group in groups[1:]:
        box = union(box, group.box)
    return box


def one_digit(groups: list[Group]) -> list[Group]:
    """The groups as one if together they are shaped like one digit: no wider than
    ONE_DIGIT times their height, with no gap wider than PIECE_GAP of it between them (a
    wide 0 or 2 cut where it narrows). A single digit must read as it did before numbers
    were read; two digits that touch and are together that narrow are rare, and two apart
    stay two however close."""
    if len(groups) < 2:
        return groups
    box = spanning(groups)
    gaps = [b.box.left - a.box.right for a, b in zip(groups, groups[1:], strict=False)]
    if box.width > ONE_DIGIT * box.height or max(gaps) > PIECE_GAP * box.height:
        return groups
    return [Group(tuple(label for g in groups for label in g.labels), box)]


def components(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels, stats) of the mask's 8-connected components, as OpenCV gives them; 16-bit
    labels where they suffice (OpenCV is several times faster with them)."""
    try:
        _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, None, None, None, 8,
                                                               cv2.CV_16U)
    except cv2.error:  # more components than 16 bits can number
        _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return labels, stats


def dark_ink(unit: np.ndarray) -> bool:
    """True if the ink is darker than the paper: the darkest pixels lie further from the
    typical one (the paper) than the lightest do. A 3x3 median first: noise is no ink (unless
    the median leaves nothing: a mark smaller than its window is judged as it is)."""
    levels = np.round(unit * 255).astype(np.uint8)
    smooth = cv2.medianBlur(levels, 3)
    if smooth.min() == smooth.max():
        smooth = levels
    typical = float(np.median(smooth[::4, ::4]))
    return typical - float(smooth.min()) > float(smooth.max()) - typical


def flat_tone(bright: np.ndarray) -> float | None:
    """The paper's one tone if FLAT of it has exactly that tone (a canvas, a clean scan, a
    tight crop of one): such a page has no table and no shadow. None for a photo."""
    levels = np.bincount(np.round(bright[::2, ::2] * 255).astype(np.uint8).ravel(), minlength=256)
    return int(levels.argmax()) / 255 if levels.max() > FLAT * levels.sum() else None


def ink_residual(bright: np.ndarray, flat: float | None) -> np.ndarray:
    """Ink-is-bright unit image less the paper's tone (float32, may be negative): `flat`
    (flat_tone) where there is one, else estimated locally.

    The tone is an opening (erode, dilate) of a downscaled copy, so it passes under strokes
    narrower than the kernel and follows shadows, gradients and a table's flat tone; one more
    dilation keeps a tone edge (a table's edge) on the side of the brighter tone.
    """
    if flat is not None:
        return np.asarray(bright - np.float32(flat), np.float32)
    height, width = bright.shape
    scale = min(1.0, BACKGROUND_SIDE / min(height, width))
    small = cv2.resize(bright, (max(1, round(width * scale)), max(1, round(height * scale))),
                       interpolation=cv2.INTER_AREA)
    side = max(3, int(BACKGROUND_KERNEL * min(small.shape)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    tone = cv2.dilate(cv2.morphologyEx(small, cv2.MORPH_OPEN, kernel), np.ones((3, 3), np.uint8))
    tone = cv2.resize(tone, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.asarray(bright - tone, np.float32)


def ink_mask(residual: np.ndarray) -> np.ndarray | None:
    """uint8 mask (255 = ink) of what stands out from the paper by more than its noise and by
    INK_THRESHOLD of the ink's contrast; None for a blank image. Smooths `residual` in place
    when the image is noisy."""
    sample = residual[::4, ::4]
    typical = float(np.median(sample))
    noise = 1.4826 * float(np.median(np.abs(sample - typical)))
    if noise > NOISY:
        cv2.GaussianBlur(residual, (5, 5), 1.0, dst=residual)
        sample = residual[::4, ::4]
        noise = 1.4826 * float(np.median(np.abs(sample - typical)))
    floor = typical + NOISE_SIGMAS * noise
    strong = residual[residual > floor]
    if strong.size < MIN_AREA:
        return None
    peak = float(np.percentile(strong, 99)) - typical
    if peak < MIN_PEAK:
        return None
    threshold = max(floor, typical + INK_THRESHOLD * peak)
    return np.asarray(residual > threshold, np.uint8) * np.uint8(255)


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
    cell = 2 * round(min(mask.shape) / BACKGROUND_SIDE) + 1
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
    more, where the image's edge is ink too, or None. Judged on a BACKGROUND_SIDE copy,
    where such a region fills whole 3x3 blocks of cells (SOLID: a dark table's residual can
    be as faint as the noise, so only part of it counts as ink); images too small for that
    to exclude strokes have none."""
    height, width = mask.shape
    scale = BACKGROUND_SIDE / min(height, width)
    inked = [bool(np.count_nonzero(side) >= len(side) / 4)
             for side in (mask[:, 0], mask[:, -1], mask[0], mask[-1])]  # left, right, top, bottom
    if scale > 1 / 3 or not any(inked):
        return None
    small = cv2.resize(mask, (round(width * scale), round(height * scale)),
                       interpolation=cv2.INTER_AREA)
    solid = cv2.morphologyEx(np.asarray(small >= SOLID * 255, np.uint8), cv2.MORPH_OPEN,
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
    """The mask without straight horizontal runs LINE_LENGTH digit heights and a quarter of
    the image long. Where ink is thicker across the line than the line itself (a stroke
    crossing it, a digit's stroke lying on it), it stays: digits keep their shape. (A
    vertical line is told from a 1 by its height: see digit_groups.) `height`: first_height."""
    length = max(3, round(LINE_LENGTH * height), mask.shape[1] // 4)
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


def first_height(stats: np.ndarray, shape: tuple[int, ...]) -> float:
    """The digits' height, a first guess before lines are removed, from the `stats` of the
    mask's components (components) in an image of this shape: the largest height of a
    roughly square component, or of any component's shorter side (digits on a ruled line
    are one component with it, as high as they are; a line alone is thin)."""
    stats = stats[1:][stats[1:, cv2.CC_STAT_AREA] >= MIN_AREA]
    if len(stats) == 0:
        return float(min(shape[:2]))
    widths, heights = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    square = (widths <= 2 * heights) & (heights <= 2 * widths)
    return float(np.where(square, heights, np.minimum(widths, heights)).max())


def digit_groups(stats: np.ndarray, shape: tuple[int, ...],
                 min_area: float) -> tuple[list[Group], float]:
    """The components of at least `min_area` pixels (smaller ones are noise: they join no
    digit) merged into digits, left to right, without separators, specks, lines and the
    paper's edge (see the module's constants); and the line's digit height. A piece above or
    below a digit joins it only if it holds PIECE_SHARE of its ink (a 5's bar, not a speck)."""
    groups: list[Group] = []
    order = np.argsort(-stats[:, cv2.CC_STAT_HEIGHT], kind="stable")
    for label in order[order > 0]:
        if stats[label, cv2.CC_STAT_AREA] < min_area:
            continue
        box = Box(*(int(v) for v in stats[label, :4]))
        for index, group in enumerate(groups):
            share = stats[label, cv2.CC_STAT_AREA] / stats[list(group.labels), -1].sum()
            if overlapping(group.box, box) and (share >= PIECE_SHARE or beside(group.box, box)):
                groups[index] = Group((*group.labels, int(label)), union(group.box, box))
                break
        else:
            groups.append(Group((int(label),), box))
    height = digit_height([g.box for g in groups], shape)
    kept = [g for g in attach_flags(groups, height)
            if g.box.height >= max(SEPARATOR * height, MIN_HEIGHT)
            and g.box.height <= LINE_LENGTH * height
            and not (at_border(g.box, shape)
                     and not BORDER_LOW * height <= g.box.height <= TALLEST * height)]
    return sorted(on_the_line(kept, stats), key=lambda g: g.box.left + g.box.width / 2), height


def attach_flags(groups: list[Group], height: float) -> list[Group]:
    """The groups with each piece too small to be a digit (SEPARATOR) that lies beside the
    upper half of a digit, FLAG_GAP digit heights from it at most, joined to it: a 5's flag
    written apart. A "." or "," sits at the baseline and stays apart."""
    digits = [g for g in groups if g.box.height >= SEPARATOR * height]
    result = list(digits)
    for piece in (g for g in groups if g.box.height < SEPARATOR * height):
        for index, digit in enumerate(result):
            gap = max(digit.box.left - piece.box.right, piece.box.left - digit.box.right)
            upper = digit.box.top <= piece.box.bottom <= digit.box.top + digit.box.height / 2
            if gap <= FLAG_GAP * height and upper:
                result[index] = Group((*digit.labels, *piece.labels), union(digit.box, piece.box))
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
    median to be a single digit's; else DIGIT_ASPECT of the digits' height."""
    if len(groups) >= 3:
        return float(np.median([g.box.width for g in groups]))
    return DIGIT_ASPECT * height


def overlapping(a: Box, b: Box) -> bool:
    """One digit's pieces: they share OVERLAP of the narrower one's columns, and are no
    further apart vertically than half the taller one's height."""
    shared = min(a.right, b.right) - max(a.left, b.left)
    apart = max(a.top, b.top) - min(a.bottom, b.bottom)
    return shared >= OVERLAP * min(a.width, b.width) and apart <= max(a.height, b.height) / 2


def beside(a: Box, b: Box) -> bool:
    """True if the boxes share rows."""
    return min(a.bottom, b.bottom) > max(a.top, b.top)


def union(a: Box, b: Box) -> Box:
    left, top = min(a.left, b.left), min(a.top, b.top)
    return Box(left, top, max(a.right, b.right) - left, max(a.bottom, b.bottom) - top)


def at_border(box: Box, shape: tuple[int, ...]) -> bool:
    return box.left == 0 or box.top == 0 or box.right == shape[1] or box.bottom == shape[0]


def digit_height(boxes: list[Box], shape: tuple[int, ...]) -> float:
    """The line's digit height: the median height of the groups at least half as high as the
    highest, those away from the border if there are any (the paper's edge is no digit)."""
    inside = [b.height for b in boxes if not at_border(b, shape)]
    heights = np.array(inside or [b.height for b in boxes] or [0], float)
    return float(np.median(heights[heights >= heights.max() / 2]))


def split_wide(group: Group, member: np.ndarray, height: float, width: float) -> list[Group]:
    """The group (its ink `member`, a mask over its box), or its parts left to right if it is
    too wide for one digit of the line (`width`: the line's typical digit width): cut at a
    junction near where the first of its digits should end (SPLIT_WIDTH), or at a narrow
    junction near its middle (MAYBE_SPLIT)."""
    box = group.box
    several = box.width > SPLIT_WIDTH * width  # several digits for sure: the best cut there is
    if not several and box.width <= MAYBE_SPLIT * height or box.width < 5:
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
        crosses one or two strokes and no loop, holds about one stroke's ink (THIN) and at
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
        valley = ((runs >= 1) & (runs <= MAX_RUNS) & ~self.loops[low:high]
                  & (counts[low:high] <= np.minimum(before, after) / 2)
                  & (counts[low:high] <= THIN * self.stroke))
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
        thin = self.counts <= THIN * self.stroke
        left, right = cut, cut
        while left > 0 and thin[left - 1]:
            left -= 1
        while right < len(thin) - 1 and thin[right + 1]:
            right += 1
        return right - left + 1 <= 2 * self.stroke


def tight(group: Group, member: np.ndarray, box: Box, start: int, stop: int) -> Group | None:
    """The group's pixels in columns [start, stop) of its box, as a group with a tight box."""
    rows, columns = np.nonzero(member[:, start:stop])
    if len(rows) < MIN_AREA:
        return None
    left, top = box.left + start + int(columns.min()), box.top + int(rows.min())
    return Group(group.labels, Box(left, top, box.left + start + int(columns.max()) + 1 - left,
                                   box.top + int(rows.max()) + 1 - top))


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
    """The region a part's speck test sees: SPECK_CONTEXT times the line's height (that of
    the parts' `boxes`), at most the image (see find_digits)."""
    if not boxes:
        return (shape[0], shape[1])
    line = max(b.bottom for b in boxes) - min(b.top for b in boxes)
    side = math.ceil(SPECK_CONTEXT * line)
    return (min(shape[0], side), min(shape[1], side))


def as_before(whole: Box, part: Box, flat: bool) -> bool:
    """True if a single part is best read as the whole image's ink (find_ink's, as before
    numbers were read), whose box is `whole`: the boxes are the same (same_box), or, on a flat
    page (no shadow, table or noise to find_ink), `whole` reaches no more than BEFORE_REACH of
    the part's height beyond it (a 5's flag the part left out, not a far speck or a ruled line
    across the page)."""
    if same_box(whole, part):
        return True
    reach = BEFORE_REACH * part.height
    return flat and (part.left - reach <= whole.left and whole.right <= part.right + reach
                     and part.top - reach <= whole.top and whole.bottom <= part.bottom + reach)


def same_box(a: Box, b: Box) -> bool:
    """Boxes equal to within 2 pixels or 5 % of their size on every side."""
    slack = max(2.0, 0.05 * max(a.width, a.height))
    return all(abs(x - y) <= slack for x, y in zip((a.left, a.top, a.right, a.bottom),
                                                  (b.left, b.top, b.right, b.bottom), strict=True))
