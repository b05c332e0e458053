"""The lines of writing on a page: found, deskewed, deslanted and cut to the reader's height.

A sequence reader (digitnet.model.sequence) reads a line, not a page. Here a page becomes its lines,
top to bottom, as OCR systems do before recognition:

1. The ink, as digitnet.reading.paper finds it on paper: the paper's own tone estimated locally
   (shadows, gradients), ink what stands out from it by more than the camera's noise, a table
   or the paper's edge along the border removed.
2. The writing's tilt (up to MAX_TILT degrees either way): the angle at which the ink crowds
   into the fewest rows (the projection profile: text lines, and ruled lines with them, are
   then level). The page is turned back by it. All this is measured on a copy of the page at
   most GEOMETRY_SIDE pixels on its short side, on the strokes at least STRONG as dark as the
   strongest (not a faint security pattern).
3. Ruled and squared lines removed (paper.clutter.remove_ruled_lines, along the rows and the
   columns), specks set aside; what is left is cut into lines: the bands of rows characters
   fill (parted where too tall for one line), each character in the band holding most of it,
   small marks (".", ",") in the line they sit on; a line is split where a gap of SPLIT_GAP
   line heights parts it.
4. Each line's slant is measured (the shear at which its columns are sharpest) and undone, and
   its ink (less other lines') is cut out with a margin and scaled to LINE_HEIGHT pixels high,
   its contrast to its own ink.

Ink that no line took (a mark too small or too far from any line) is reported, as boxes. The
tilt's and slant's measures and the maps between page and line are digitnet.reading.line_geometry's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from digitnet.common.box import Box
from digitnet.common.line_format import LINE_HEIGHT
from digitnet.reading.line_geometry import (
    PROFILE_POINTS,
    Geometry,
    compose,
    measure_slant,
    sharpness,
    turning,
    warp_down,
)
from digitnet.reading.paper.clutter import remove_flat_regions, remove_ruled_lines
from digitnet.reading.paper.ink import components, flat_tone, ink_mask, ink_residual
from digitnet.reading.paper.params import PAPER
from digitnet.reading.preprocess import to_gray

POLARITY_SIDE = 160  # the ink's polarity is judged on a copy this many pixels on its short side
POLARITY_WINDOW = 21  # ... against its median over a square this many pixels wide
POLARITY_NOISE = 4.0  # ... counting detail beyond this many deviations of the noise
STRONG = 0.45  # ink fainter than this share of the strongest is left out of the geometry
GEOMETRY_SIDE = 300  # lines are found on a copy this many pixels on its short side at most
MAX_TILT = 32.0  # degrees either way the writing may be tilted
LEVEL_PRIOR = 0.15  # a peak's score counts this much less at MAX_TILT than level
TILT_STEP = 1.0  # the coarse search's step, degrees; then refined to TILT_STEP / 8
ONE_ROW = 1.5  # one mark this many times as wide as high shows which way its line runs
MARGIN = 0.15  # a line's image has this many line heights of margin above and below
SIDE_MARGIN = 0.25  # ... and at its ends
SMALL = 0.45  # a mark less high than this many characters is small (".", ","): no band of its own
TALL = 2.5  # ... and one taller than this many is no character (a line left, a blob)
MESH_SPAN = 0.6  # a component over this share of the page both ways ...
MESH_FILL = 0.12  # ... filling less of its box than this is a grid or a pattern, no character
TWO_LINES = 1.7  # a band of ink taller than this many characters holds two lines ...
VALLEY = 0.25  # ... if a row between them holds less than this share of its typical row's ink
MARK_BELOW = 0.4  # a small mark joins a line its middle lies in, or this many heights below
SPECK = 0.12  # a mark less high than this share of the typical character's is a speck
SPLIT_GAP = 2.5  # a gap this many line heights wide parts two lines
NOTED = 0.3  # ink no line took is reported if this many typical characters high or more
MAX_WIDTH = 1600  # a line's image is at most this many pixels wide


@dataclass(frozen=True, eq=False)
class TextLine:
    """One line: its image for the reader, and where it lies on the page."""

    image: np.ndarray  # float32 [LINE_HEIGHT, W], bright ink on black, in [0, 1]
    to_page: np.ndarray  # 2x3: a point (x, y) of `image` -> the page's pixels
    box: Box  # the line's ink on the page
    frame: Box  # ... in the deskewed page (`Lines.deskew`), without the slant undone
    slant: float  # the shear undone
    height: float  # the line's height on the page, pixels


@dataclass(frozen=True, eq=False)
class Lines:
    """A page's lines, top to bottom, and the ink no line took."""

    lines: tuple[TextLine, ...]
    ignored: tuple[Box, ...]
    tilt: float  # degrees the writing was tilted (counter-clockwise), undone
    deskew: np.ndarray  # 2x3: the page -> the deskewed page
    dark_ink: bool


def find_lines(image: np.ndarray, invert: bool | None = None) -> Lines:
    """The lines of writing on any image `to_gray` takes (invert: True for dark ink on light
    paper, False for light on dark, None to detect); no lines for a blank page. The lines are
    found on a copy GEOMETRY_SIDE pixels on its short side at most, and cut from the page."""
    gray = to_gray(image)
    unit = gray.astype(np.float32) / 255 if gray.dtype == np.uint8 else gray
    dark = dark_detail(unit) if invert is None else invert
    bright = 1 - unit if dark else unit
    flat = flat_tone(bright)
    residual = ink_residual(bright, flat)
    if dark and flat is None:  # ink's contrast as a share of its paper's: a shadow takes both
        residual /= np.maximum(1 - bright + residual, 0.05)
    blank = Lines((), (), 0.0, np.eye(2, 3), dark)
    if ink_mask(residual) is None:  # (which smooths a noisy page's residual)
        return blank
    scale = min(1.0, GEOMETRY_SIDE / min(unit.shape))
    small = residual if scale == 1 else cv2.resize(residual, None, fx=scale, fy=scale,
                                                   interpolation=cv2.INTER_AREA)
    mask = ink_mask(small.copy())
    if mask is None:
        return blank
    if flat is None:
        mask = remove_flat_regions(mask)
    tilt = measure_tilt(strong_ink(mask, small))
    deskew, size = turning(mask.shape, tilt)
    if tilt:
        small = cv2.warpAffine(small, deskew, size, flags=cv2.INTER_LINEAR)
        mask = cv2.warpAffine(mask, deskew, size, flags=cv2.INTER_NEAREST)
    strokes = strong_ink(remove_lines(mask), small)  # whole again where faint between
    labels, stats = components(cv2.morphologyEx(strokes, cv2.MORPH_CLOSE, np.ones((3, 3),
                                                                                  np.uint8)))
    rows = group_rows(labels, stats)
    line_of = np.full(len(stats), -1)  # per component, the line that took it
    for k, members in enumerate(rows):
        line_of[members] = k
    taken = line_of[labels].astype(np.int16)
    page = Geometry(deskew, scale)
    found = [cut_line(residual, small, labels, stats, members, taken, k, page)
             for k, members in enumerate(rows)]
    ignored = tuple(page.page_box(Box(*(int(v) for v in stats[n, :4])))
                    for n in noted(stats, line_of >= 0, labels.shape))
    return Lines(tuple(found), ignored, tilt, page.deskew_page, dark)


def dark_detail(unit: np.ndarray) -> bool:
    """True if the ink is darker than the paper: more of the page's detail stands out below
    its surroundings than above them, beyond POLARITY_NOISE deviations of the noise (the
    cutter's paper.ink.dark_ink weighs the extremes instead). Measured on a copy POLARITY_SIDE
    pixels on its short side, against its median over POLARITY_WINDOW pixels: the paper's
    tone there (shadows and tones go), as ink is the lesser part of it."""
    height, width = unit.shape
    scale = min(1.0, POLARITY_SIDE / min(height, width))
    small = cv2.resize(unit, (max(1, round(width * scale)), max(1, round(height * scale))),
                       interpolation=cv2.INTER_AREA)
    levels = np.round(small * 255).astype(np.uint8)
    detail = small - cv2.medianBlur(levels, POLARITY_WINDOW).astype(np.float32) / 255
    noise = 1.4826 * float(np.median(np.abs(detail - np.median(detail)))) + 1e-4
    floor = POLARITY_NOISE * noise
    return bool(np.clip(-detail - floor, 0, None).sum() > np.clip(detail - floor, 0, None).sum())


def strong_ink(mask: np.ndarray, residual: np.ndarray) -> np.ndarray:
    """The mask less what is fainter than STRONG of the ink's strongest (a security pattern,
    faint printed lines): the lines' geometry is measured on strokes alone."""
    level = float(np.percentile(residual[mask > 0], 99)) if mask.any() else 0.0
    return np.where(residual > STRONG * level, mask, np.uint8(0))


def measure_tilt(mask: np.ndarray) -> float:
    """The writing's tilt in degrees (counter-clockwise positive): the angle at which the ink
    crowds into the fewest rows (`sharpness`), the highest peak within the search (a score
    still rising at its end is no peak). 0 for too little ink to tell."""
    ys, xs = np.nonzero(mask)
    if len(ys) < 2 * PAPER.min_area or not in_a_row(mask):
        return 0.0
    if len(ys) > PROFILE_POINTS:
        chosen = np.random.default_rng(0).choice(len(ys), PROFILE_POINTS, replace=False)
        ys, xs = ys[chosen], xs[chosen]
    # each pixel spread over its square: on the pixel grid, angles of simple slopes (1/2, 1/3)
    # line up many pixels by the lattice alone
    jitter = np.random.default_rng(0).uniform(-0.5, 0.5, (len(xs), 2))
    points = np.stack([xs, ys], 1) + jitter
    points -= points.mean(0)
    coarse = np.arange(-MAX_TILT, MAX_TILT + TILT_STEP / 2, TILT_STEP)
    scores = sharpness(points, coarse)
    peaks = np.flatnonzero((scores[1:-1] >= scores[:-2]) & (scores[1:-1] >= scores[2:])) + 1
    if not len(peaks):  # rising to the search's end: no tilt within it shows a line
        return 0.0
    level = 1 - LEVEL_PRIOR * np.abs(coarse[peaks]) / MAX_TILT  # most pages lie about level
    best = coarse[peaks[int(np.argmax(scores[peaks] * level))]]
    fine = best + np.arange(-TILT_STEP, TILT_STEP + 1e-6, TILT_STEP / 8)
    return float(fine[int(np.argmax(sharpness(points, fine)))])


def in_a_row(mask: np.ndarray) -> bool:
    """True if the ink shows which way its lines run: two characters or more, or one mark
    ONE_ROW times as wide as high or more (digits run together). A lone digit does not: it is
    read as it stands on the page."""
    stats = components(mask)[1]
    height = character_height(stats, mask.shape)
    sizes = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    characters = (stats[1:, cv2.CC_STAT_AREA] >= PAPER.min_area) & (sizes[0] >= SMALL * height)
    return int(characters.sum()) >= 2 or bool((sizes[1][characters] >= ONE_ROW
                                                * sizes[0][characters]).any())


def remove_lines(mask: np.ndarray) -> np.ndarray:
    """The mask without ruled lines along its rows nor its columns (a squared paper), as
    the paper reader removes them: long straight runs, where no stroke crosses them."""
    height = character_height(components(mask)[1], mask.shape)
    mask = remove_ruled_lines(mask, height)
    return np.ascontiguousarray(remove_ruled_lines(np.ascontiguousarray(mask.T), height).T)


def character_height(stats: np.ndarray, shape: tuple[int, ...]) -> float:
    """A character's typical height: the median of the components shaped like characters (no
    more than three times as wide as high, and no mesh spanning the page, a grid) but specks
    (less than a quarter as high as the tallest tenth), else the tallest of any (characters
    run together); 0 for none. `shape`: the page's (height, width)."""
    widths, heights = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    areas = stats[1:, cv2.CC_STAT_AREA]
    marks = (areas >= PAPER.min_area) & (heights >= PAPER.min_height)
    mesh = ((heights > MESH_SPAN * shape[0]) & (widths > MESH_SPAN * shape[1])
            & (areas < MESH_FILL * widths * heights))  # a grid, a pattern: no character
    shaped = marks & (widths <= 3 * heights) & ~mesh
    if not shaped.any():
        return float(heights[marks].max()) if marks.any() else 0.0
    tall = heights[shaped]
    return float(np.median(tall[tall >= np.percentile(tall, 90) / 4]))


def group_rows(labels: np.ndarray, stats: np.ndarray) -> list[np.ndarray]:
    """The components (labels) in lines, top to bottom. The lines are the bands of rows the
    characters' ink fills (components from SPECK to TALL characters high), a band taller than
    TWO_LINES characters parted where its ink is thinnest; each character joins the band that
    holds most of its rows, a small mark (".", ",") the band its middle lies in or just above;
    a line is split at gaps SPLIT_GAP of its height wide."""
    height = character_height(stats, labels.shape)
    if not height:
        return []
    boxes = stats[:, :4].astype(np.float64)
    tops, rows = boxes[:, 1], boxes[:, 3]
    marks = (stats[:, cv2.CC_STAT_AREA] >= PAPER.min_area) & (rows >= SPECK * height)
    marks[0] = False
    glyphs = marks & (rows <= TALL * height) & (rows >= SMALL * height)
    filled = np.zeros(labels.shape[0] + 1, np.float64)
    for label in np.flatnonzero(glyphs):  # each character fills its rows
        top = int(tops[label])
        filled[top:top + int(rows[label])] += boxes[label, 2]
    bands = [band for run in runs(filled > 0) for band in part_band(filled, run, height)]
    members: list[list[int]] = [[] for _ in bands]
    for label in np.flatnonzero(marks):
        top, bottom = tops[label], tops[label] + rows[label]
        if glyphs[label]:
            shares = [min(bottom, b) - max(top, a) for a, b in bands]
            best = int(np.argmax(shares)) if shares else -1
            if best >= 0 and shares[best] > 0:
                members[best].append(int(label))
            continue
        middle = top + rows[label] / 2
        for k, (a, b) in enumerate(bands):
            if a <= middle <= b + MARK_BELOW * (b - a) and rows[label] <= TALL * height:
                members[k].append(int(label))
                break
    lines = [part for line in members if line
             for part in split_at_gaps(np.array(line), boxes)]
    return sorted(lines, key=lambda line: float(np.median(boxes[line, 1] + boxes[line, 3] / 2)))


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """The [start, stop) of each run of True in a 1-D array."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(),
                    strict=True))


def part_band(filled: np.ndarray, band: tuple[int, int],
              height: float) -> list[tuple[int, int]]:
    """A band of rows, or its parts if it is taller than TWO_LINES characters (lines touching,
    or overlapping rows once a line is a little tilted): parted at its thinnest row, away from
    its ends by at least half a character, if that row holds less than VALLEY of the band's
    typical row's ink."""
    start, stop = band
    if stop - start <= TWO_LINES * height:
        return [band]
    inner = np.arange(start + round(height / 2), stop - round(height / 2))
    if not len(inner):
        return [band]
    cut = int(inner[np.argmin(filled[inner])])
    if filled[cut] > VALLEY * np.median(filled[start:stop]):
        return [band]  # no valley: one line drifting, or of mixed sizes
    return part_band(filled, (start, cut), height) + part_band(filled, (cut, stop), height)


def split_at_gaps(line: np.ndarray, boxes: np.ndarray) -> list[np.ndarray]:
    """A line's components, parted where a gap wider than SPLIT_GAP line heights lies."""
    line = line[np.argsort(boxes[line, 0], kind="stable")]
    height = float(np.max(boxes[line, 3]))
    reach = np.maximum.accumulate(boxes[line, 0] + boxes[line, 2])
    gaps = boxes[line[1:], 0] - reach[:-1]
    cuts = np.flatnonzero(gaps > SPLIT_GAP * height) + 1
    return np.split(line, cuts)


def noted(stats: np.ndarray, used: np.ndarray, shape: tuple[int, ...]) -> list[int]:
    """The components no line took that are worth a word: NOTED characters high or more, on a
    page of this shape."""
    height = character_height(stats, shape)
    return [n for n in range(1, len(stats))
            if not used[n] and stats[n, cv2.CC_STAT_HEIGHT] >= NOTED * height
            and stats[n, cv2.CC_STAT_AREA] >= PAPER.min_area]


def cut_line(residual: np.ndarray, small: np.ndarray, labels: np.ndarray, stats: np.ndarray,
             members: np.ndarray, taken: np.ndarray, line: int, page: Geometry) -> TextLine:
    """One line's image: its ink (the page's residual, less other lines' ink) turned level,
    its slant undone, a margin around it, scaled to LINE_HEIGHT pixels high. `small` and
    `labels` are the deskewed copy's residual and components, `taken` the line of each
    component's pixels there (-1: none)."""
    boxes = stats[members, :4]
    left, top = boxes[:, 0].min(), boxes[:, 1].min()
    right, bottom = (boxes[:, 0] + boxes[:, 2]).max(), (boxes[:, 1] + boxes[:, 3]).max()
    frame = Box(int(left), int(top), int(right - left), int(bottom - top))
    height = float(frame.height)
    mine = np.isin(labels[top:bottom, left:right], members)
    ys, xs = np.nonzero(mine)
    slant = measure_slant(xs.astype(np.float32), ys.astype(np.float32))
    # the line's frame, sheared about its middle row, with margins
    middle = top + height / 2
    corners_x = np.array([left, right, left, right], np.float64)
    corners_y = np.array([top, top, bottom, bottom], np.float64)
    sheared = corners_x + slant * (corners_y - middle)
    margin, side = MARGIN * height, SIDE_MARGIN * height
    x0, x1 = sheared.min() - side, sheared.max() + side
    y0, y1 = top - margin, bottom + margin
    scale = LINE_HEIGHT / (y1 - y0)
    width = min(MAX_WIDTH, max(LINE_HEIGHT // 2, math.ceil((x1 - x0) * scale)))
    # deskewed copy -> line image: shear, then shift and scale
    to_line = np.array([[scale, scale * slant, -scale * (x0 + slant * middle)],
                        [0.0, scale, -scale * y0]])
    from_page = compose(to_line, page.from_page)
    image = warp_down(residual, from_page, (width, LINE_HEIGHT), scale * page.scale)
    others = cv2.warpAffine(taken, to_line, (width, LINE_HEIGHT), flags=cv2.INTER_NEAREST,
                            borderValue=-1)
    image[(others >= 0) & (others != line)] = 0
    level = line_level(small[top:bottom, left:right][mine])
    image = np.clip(image / level, 0, 1).astype(np.float32)
    return TextLine(image, cv2.invertAffineTransform(from_page), page.page_box(frame),
                    page.at_page_scale(frame), slant, height / page.scale)


def line_level(values: np.ndarray) -> float:
    """The line's ink level: a high percentile of its ink's residual (its strokes' cores)."""
    return max(float(np.percentile(values, 90)), 1e-3) if values.size else 1.0


