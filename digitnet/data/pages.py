"""Pages of synthetic numbers: what a page holds (`PageSpec`, drawn by `pick_spec` or set by a
benchmark), written by one hand (digitnet.data.strings), the lines stacked and tilted together
on paper (digitnet.data.paper), and where each line's ink lies on the page (`TrueLine`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from digitnet.common.line_format import NOT_DIGIT
from digitnet.data.hands import COVERED, Hand, Hands
from digitnet.data.paper import PageStyle, paper_marks, photograph
from digitnet.data.strings import StringStyle, WrittenLine, pick, pick_text, write_line
from digitnet.reading.line_geometry import transform_points


@dataclass(frozen=True)
class PageSpec:
    """What a page holds and how it is made: drawn by `pick_spec`, or set by a benchmark."""

    texts: tuple[str, ...]  # one per line, top to bottom
    spacing: str  # SPACINGS
    tilt: float  # degrees, counter-clockwise
    conditions: frozenset[str] = frozenset()  # of CONDITIONS


@dataclass(frozen=True, eq=False)
class TrueLine:
    """A line as written: its text and its ink's box on the page, as 4 corners (x, y)."""

    text: str
    corners: np.ndarray  # float [4, 2]: top-left, top-right, bottom-right, bottom-left


@dataclass(frozen=True, eq=False)
class Page:
    image: np.ndarray  # uint8 gray
    lines: tuple[TrueLine, ...]  # top to bottom
    spec: PageSpec
    hand: str  # the writer: 'source/writer'
    height: float  # the digits' height on the page, pixels


def pick_line_text(rng: np.random.Generator, strings: StringStyle, pages: PageStyle) -> str:
    """A line's text: a number (pick_text), some of it not digits now and then."""
    text = pick_text(rng, int(rng.integers(pages.digits[0], pages.digits[1] + 1)), strings)
    if rng.random() >= strings.others:
        return text
    if rng.random() < strings.others_only:
        return NOT_DIGIT * int(rng.integers(1, 8))
    chars = list(text)
    for i in rng.choice(len(chars), int(rng.integers(1, len(chars) + 1)), replace=False):
        chars[i] = NOT_DIGIT
    return "".join(chars)


def pick_spec(rng: np.random.Generator, strings: StringStyle, pages: PageStyle) -> PageSpec:
    """A page as training draws them: every value from the styles' shares and ranges."""
    count = int(pick(rng, {str(k): v for k, v in pages.lines.items()}))
    texts = tuple(pick_line_text(rng, strings, pages) for _ in range(count))
    conditions = frozenset(c for c, p in pages.conditions.items() if rng.random() < p)
    return PageSpec(texts, pick(rng, strings.spacing), float(rng.uniform(-1, 1) * pages.tilt),
                    conditions)


def pick_hand(rng: np.random.Generator, hands: Hands, strings: StringStyle) -> Hand:
    """A writer: a source by the style's shares (every source alike if the hands hold none of
    the style's), then one of its writers."""
    shares = ({s: w for s, w in strings.sources.items() if hands.by_source.get(s)}
              or {s: 1.0 for s, writers in hands.by_source.items() if writers})
    writers = hands.by_source[pick(rng, shares)]
    return writers[int(rng.integers(len(writers)))]


def in_hand(text: str, hand: Hand, rng: np.random.Generator) -> str:
    """The text with each digit the writer never wrote replaced by one they did."""
    known = sorted(hand.digits)
    return "".join(str(known[int(rng.integers(len(known)))])
                   if c.isdigit() and int(c) not in hand.digits else c for c in text)


def make_page(rng: np.random.Generator, hands: Hands, spec: PageSpec, strings: StringStyle,
              pages: PageStyle) -> Page:
    """The page `spec` describes, written by one hand of `hands`, made as `pages` says."""
    hand = pick_hand(rng, hands, strings)
    texts = tuple(in_hand(t, hand, rng) for t in spec.texts)
    height = float(rng.uniform(*pages.height))
    written = [write_line(t, hand, hands.others, height, spec.spacing, rng, strings)
               for t in texts]
    block, boxes, baselines = stack_lines(written, height, rng, pages)
    matrix, size = place_block(boxes, height, spec.tilt, rng, pages)
    coverage = cv2.warpAffine(block, matrix, size, flags=cv2.INTER_LINEAR)
    # the paper's marks, drawn in the block's frame over all the page shows of it
    seen = transform_points(corners((0, 0, *size)), cv2.invertAffineTransform(matrix))
    origin = np.floor(seen.min(0))
    extent = np.ceil(seen.max(0) - origin).astype(int) + 1
    marks = paper_marks((int(extent[1]), int(extent[0])), [b - origin[1] for b in baselines],
                        height, spec.conditions, rng, pages)
    moved = matrix.copy()
    moved[:, 2] += matrix[:, :2] @ origin
    marks = cv2.warpAffine(marks, moved, size, flags=cv2.INTER_LINEAR)
    image = photograph(coverage, marks, height, spec.conditions, rng, pages)
    lines = tuple(TrueLine(t, transform_points(corners(box), matrix))
                  for t, box in zip(texts, boxes, strict=True))
    return Page(image, lines, spec, hand.name, height * scale_of(matrix))


Box4 = tuple[float, float, float, float]  # left, top, right, bottom


def stack_lines(written: Sequence[WrittenLine], height: float, rng: np.random.Generator,
                pages: PageStyle) -> tuple[np.ndarray, list[Box4], list[float]]:
    """The lines one below the other, each `line_gap` heights below the one above and indented
    at random: the block's coverage, each line's ink box in it and each baseline's row."""
    gap = rng.uniform(*pages.line_gap) * height
    placed = [(round(rng.uniform(0, pages.indent) * height), round(k * gap - line.baseline))
              for k, line in enumerate(written)]
    top = min(y for _, y in placed)
    placed = [(x, y - top) for x, y in placed]
    rows = max(y + line.coverage.shape[0] for (_, y), line in zip(placed, written, strict=True))
    cols = max(x + line.coverage.shape[1] for (x, _), line in zip(placed, written, strict=True))
    block = np.zeros((rows, cols), np.float32)
    boxes: list[Box4] = []
    for (x, y), line in zip(placed, written, strict=True):
        window = block[y:y + line.coverage.shape[0], x:x + line.coverage.shape[1]]
        np.maximum(window, line.coverage, out=window)
        ys, xs = np.nonzero(line.coverage > COVERED)
        if not len(ys):
            ys, xs = np.array([line.baseline]), np.array([0])
        boxes.append((x + xs.min(), y + ys.min(), x + xs.max() + 1.0, y + ys.max() + 1.0))
    return block, boxes, [y + line.baseline for (_, y), line in zip(placed, written,
                                                                     strict=True)]


def corners(box: Box4) -> np.ndarray:
    left, top, right, bottom = box
    return np.array([[left, top], [right, top], [right, bottom], [left, bottom]], np.float64)


def scale_of(matrix: np.ndarray) -> float:
    return float(math.sqrt(abs(np.linalg.det(matrix[:, :2]))))


def place_block(boxes: Sequence[Box4], height: float, tilt: float, rng: np.random.Generator,
                pages: PageStyle) -> tuple[np.ndarray, tuple[int, int]]:
    """Where the block goes: a 2x3 matrix from its coordinates to the page's (tilted by `tilt`
    degrees about the ink's centre, shrunk to fit a page of fixed size within its margins, up
    to a tenth of the page each) and the page's size."""
    ink = np.concatenate([corners(b) for b in boxes])
    centre = (ink.min(0) + ink.max(0)) / 2
    rotation = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), tilt, 1.0)
    turned = transform_points(ink, rotation)
    extent = np.ptp(turned, axis=0)
    margins = rng.uniform(*pages.margin, 4) * height  # left, top, right, bottom
    if pages.size is None:
        size = (math.ceil(extent[0] + margins[0] + margins[2]),
                math.ceil(extent[1] + margins[1] + margins[3]))
        shift = np.array([margins[0], margins[1]]) - turned.min(0)
        return np.hstack([rotation[:, :2], (rotation[:, 2] + shift)[:, None]]), size
    size = pages.size
    lead, trail = margins[:2].clip(max=0.1 * min(size)), margins[2:].clip(max=0.1 * min(size))
    room = np.array(size, np.float64) - lead - trail
    scale = min(1.0, float((room / np.maximum(extent, 1)).min()))
    rotation = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), tilt, scale)
    turned = transform_points(ink, rotation)
    free = np.maximum(room - np.ptp(turned, axis=0), 0)
    shift = lead + rng.uniform(0, 1, 2) * free - turned.min(0)
    return np.hstack([rotation[:, :2], (rotation[:, 2] + shift)[:, None]]), size
