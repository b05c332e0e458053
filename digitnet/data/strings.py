"""Synthetic numbers written on paper: strings of one writer's isolated digits, and pages of them.

Readers of handwritten numbers learn from far more strings than exist written by hand; here
they are made from isolated characters of many writers (digitnet.data.sources: MNIST, CVL's scans,
pendigits' and UNIPEN's pen trajectories written in ink by digitnet.data.ink). Every string is one
hand's: its digits, its pen, its size and slant. Neighbours are set apart by the ink's own
outline (the gap between their closest strokes, row by row), so "touching" strings touch and
"overlapping" ones cross, whatever the digits' shapes. Separators (. , - /) are drawn with the
writer's pen; drawings that are not digits (letters, doodles, scribbles) stand as `NOT_DIGIT`.

A page holds one or more such lines, tilted together, on paper: tone and texture, ruled or
squared lines, a security pattern, a shadow, then the camera or scanner: blur, noise, JPEG, a
low resolution, and either polarity. Everything random is drawn from one generator the caller
seeds; what is drawn, and from which ranges, is a `StringStyle` and a `PageStyle`. Training and
the benchmark never share either: `TRAINING_STRINGS`/`TRAINING_PAGES` serve training and the
tuning fold, `BENCHMARK_STRINGS`/`BENCHMARK_PAGES` (ranges, ink, pattern families of their
own) the benchmark, and `load_hands` takes the writers of one fold of the registry only.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from digitnet.common.line_format import NOT_DIGIT, SEPARATORS
from digitnet.common.sketch import Sketch
from digitnet.data.ink import InkStyle, ink_coverage
from digitnet.data.sources import (
    NOT_A_DIGIT,
    Canvases,
    Lookup,
    Scans,
    Sketches,
    Trajectories,
    load_fold,
)
from digitnet.reading.line_geometry import transform_points

DIGIT_SOURCES = ("mnist", "cvl", "pendigits", "unipen-digits")
OTHER_SOURCES = ("unipen-letters", "omniglot", "quickdraw", "scribbles")
MNIST_HAND = 500  # MNIST names no writers: this many consecutive images stand for one
COVERED = 0.3  # coverage above which a pixel is ink, for spacing and boxes
WIDEST = 1.5  # a glyph is scaled to its height, or to this many heights wide if it is wider
CONDITIONS = ("texture", "ruled", "grid", "security", "shadow", "blur", "noise", "jpeg",
              "low-res", "inverted")
SPACINGS = ("natural", "touching", "overlapping")
Range = tuple[float, float]


@dataclass(frozen=True, eq=False)
class Glyph:
    """One written character: pen strokes (y down, any units), or a scan's ink coverage
    (uint8, cropped to the ink)."""

    strokes: tuple[np.ndarray, ...] | None = None
    image: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class Hand:
    """One writer's digits: per digit, the glyphs they wrote."""

    name: str  # 'source/writer'
    digits: dict[int, list[Glyph]]


@dataclass(frozen=True, eq=False)
class Hands:
    """The writers of one fold, by source, and drawings that are not digits of the same fold."""

    fold: str
    by_source: dict[str, list[Hand]]
    others: list[Glyph]
    groups: dict[str, np.ndarray]  # per source loaded, the writer (or group) of each drawing

    def writers(self) -> set[str]:
        return {hand.name for hands in self.by_source.values() for hand in hands}


def load_hands(fold: str, lookup: Lookup | None = None,
               sources: Sequence[str] = DIGIT_SOURCES,
               others: Sequence[str] = OTHER_SOURCES) -> Hands:
    """The hands of one fold of the registry's digit sources (by writer; MNIST's images in runs
    of MNIST_HAND), and the not-digit drawings of the same fold of `others`."""
    by_source: dict[str, list[Hand]] = {}
    loaded_groups: dict[str, np.ndarray] = {}
    for name in sources:
        loaded = load_fold(name, fold, lookup)
        loaded_groups[name] = loaded.groups
        glyphs = glyphs_of(loaded.drawn)
        groups = loaded.groups
        if name == "mnist":
            groups = np.array([f"{i // MNIST_HAND}" for i in range(len(glyphs))])
        hands = []
        for writer in np.unique(groups):
            mine = np.flatnonzero(groups == writer)
            digits: dict[int, list[Glyph]] = {}
            for i in mine:
                digits.setdefault(int(loaded.labels[i]), []).append(glyphs[i])
            hands.append(Hand(f"{name}/{writer}", digits))
        by_source[name] = hands
    other: list[Glyph] = []
    for name in others:
        loaded = load_fold(name, fold, lookup)
        loaded_groups[name] = loaded.groups
        other += [g for g, label in zip(glyphs_of(loaded.drawn), loaded.labels, strict=True)
                  if label == NOT_A_DIGIT]
    return Hands(fold, by_source, other, loaded_groups)


def glyphs_of(drawn: object) -> list[Glyph]:
    """A fold's drawings as glyphs: trajectories and sketches as strokes, scans as coverage."""
    if isinstance(drawn, Trajectories):
        return [Glyph(strokes=tuple(np.asarray(s, np.float32) for s in d)) for d in drawn.strokes]
    if isinstance(drawn, Sketches):
        return [Glyph(strokes=tuple(np.asarray(s, np.float32) * np.array(k.size, np.float32)
                                    for s in k.strokes)) for k in drawn.sketches]
    if isinstance(drawn, Scans):
        return [Glyph(image=scan_coverage(image, drawn.dark_ink)) for image in drawn.images]
    if isinstance(drawn, Canvases):
        raise TypeError("canvases of either polarity are no glyphs")
    raise TypeError(f"unknown drawings {type(drawn).__name__}")


def scan_coverage(image: np.ndarray, dark_ink: bool) -> np.ndarray:
    """A scanned character's ink as uint8 coverage (255: full ink), cropped to its ink: dark ink
    is measured from the scan's paper (its border's median tone) to its darkest pixel."""
    level = image.astype(np.float32)
    if dark_ink:
        paper = float(np.median(np.concatenate([level[0], level[-1], level[:, 0], level[:, -1]])))
        level = (paper - level) / max(paper - float(level.min()), 1.0) * 255
    cover = np.clip(level, 0, 255).astype(np.uint8)
    rows, cols = np.nonzero(cover > COVERED * 255)
    if not len(rows):
        return cover
    return cover[rows.min():rows.max() + 1, cols.min():cols.max() + 1].copy()


# --- strings --------------------------------------------------------------------------------

@dataclass(frozen=True)
class StringStyle:
    """How strings are written: each string draws its values from these (uniform)."""

    sources: dict[str, float]  # the share of strings from each digit source's hands
    spacing: dict[str, float]  # the share of strings spaced each way (SPACINGS)
    gaps: dict[str, Range]  # per spacing, the gap between neighbours' closest ink, in heights
    formats: dict[str, float]  # the share of each way of writing a number (`FORMATS`)
    size_spread: float  # each character's height is the string's times 1 +- this
    drift: float  # the baseline rises or falls by up to this many heights per character
    wobble: float  # each character's own step off the baseline (sd, in heights)
    slant: float  # the line is sheared by up to this either way
    pen: Range  # a pen's width, in digit heights (pen trajectories; scans keep their own)
    ink: InkStyle  # the pen's taper and pressure (digitnet.data.ink)
    others: float  # the share of strings with drawings that are not digits among them
    others_only: float  # ... of which this share are all not digits (a word, a doodle)


TRAINING_STRINGS = StringStyle(
    sources={"mnist": 0.3, "cvl": 0.2, "pendigits": 0.2, "unipen-digits": 0.3},
    spacing={"natural": 0.55, "touching": 0.25, "overlapping": 0.2},
    gaps={"natural": (0.03, 0.5), "touching": (-0.04, 0.01), "overlapping": (-0.14, -0.03)},
    formats={"plain": 0.55, "grouped": 0.12, "decimal": 0.12, "date": 0.08, "dashed": 0.08,
             "fraction": 0.05},
    size_spread=0.1, drift=0.04, wobble=0.03, slant=0.4, pen=(0.05, 0.15),
    ink=InkStyle(), others=0.12, others_only=0.4,
)
BENCHMARK_STRINGS = StringStyle(  # the benchmark's own ranges, chosen apart from training's
    sources={"mnist": 0.25, "cvl": 0.25, "pendigits": 0.25, "unipen-digits": 0.25},
    spacing={"natural": 1.0},
    gaps={"natural": (0.06, 0.4), "touching": (-0.03, 0.0), "overlapping": (-0.12, -0.05)},
    formats={"plain": 0.6, "grouped": 0.1, "decimal": 0.1, "date": 0.1, "dashed": 0.05,
             "fraction": 0.05},
    size_spread=0.07, drift=0.03, wobble=0.025, slant=0.3, pen=(0.06, 0.13),
    ink=InkStyle(taper=(0.25, 0.8), taper_share=(0.08, 0.2), pressure=(0.05, 0.3)),
    others=0.0, others_only=0.0,
)
FORMATS = ("plain", "grouped", "decimal", "date", "dashed", "fraction")


def pick(rng: np.random.Generator, shares: dict[str, float]) -> str:
    """One key of `shares`, drawn with those weights."""
    keys = list(shares)
    weights = np.array([shares[k] for k in keys], np.float64)
    return keys[int(rng.choice(len(keys), p=weights / weights.sum()))]


def pick_text(rng: np.random.Generator, digits: int, style: StringStyle) -> str:
    """A number of `digits` digits written one of the style's ways: plain ("20260"), in
    thousands ("1,234,567"), with decimals ("123.45"), as a date ("12/05/2026"), in dashed
    groups ("555-1234") or as a fraction ("3/4"); plain where the way needs more digits."""
    number = "".join(str(d) for d in rng.integers(0, 10, digits))
    way = pick(rng, style.formats)
    if way == "grouped" and digits >= 4:
        mark = str(rng.choice([",", "."]))
        head = digits % 3 or 3
        return mark.join([number[:head]] + [number[i:i + 3] for i in range(head, digits, 3)])
    if way == "decimal" and digits >= 2:
        cut = digits - int(rng.integers(1, min(3, digits - 1) + 1))
        return number[:cut] + str(rng.choice([".", ","])) + number[cut:]
    if way == "date" and digits in (4, 6, 8):
        mark = str(rng.choice(["/", "-", "."]))
        parts = [number[:2], number[2:4]] + ([number[4:]] if digits > 4 else [])
        return mark.join(parts)
    if way == "dashed" and digits >= 4:
        cut = int(rng.integers(2, digits - 1))
        return number[:cut] + "-" + number[cut:]
    if way == "fraction" and 2 <= digits <= 5:
        cut = int(rng.integers(1, digits))
        return number[:cut] + "/" + number[cut:]
    return number


def separator_strokes(mark: str, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """A separator as pen strokes, in digit heights (y down, the baseline at y = 0)."""
    jitter = rng.normal(0, 0.01, (8, 2))
    if mark == ".":
        return (np.array([[0.0, -0.02], [0.01, -0.01]]) + jitter[:2],)
    if mark == ",":
        t = np.linspace(0, 1, 6)[:, None]
        return (np.hstack([0.03 * np.sin(t * 2) - 0.06 * t, -0.03 + 0.22 * t]) + jitter[:6],)
    if mark == "-":
        length = rng.uniform(0.25, 0.5)
        t = np.linspace(0, 1, 5)[:, None]
        return (np.hstack([length * t, -0.5 + rng.uniform(-0.04, 0.04) * t]) + jitter[:5],)
    if mark == "/":
        lean = rng.uniform(0.25, 0.5)
        return (np.array([[0.0, 0.03], [lean, -rng.uniform(0.85, 1.1)]]) + jitter[:2],)
    raise ValueError(f"no separator {mark!r}")


def stroke_coverage(strokes: Sequence[np.ndarray], scale: float, pen_px: float,
                    rng: np.random.Generator, ink: InkStyle) -> tuple[np.ndarray, np.ndarray]:
    """Strokes in any units times `scale` (pixels), written with a pen `pen_px` wide: the ink's
    coverage, float32, and where the strokes' origin (0, 0) lies in it (x, y)."""
    points = np.concatenate(strokes).astype(np.float64) * scale
    margin = pen_px / 2 + 2
    low = points.min(0) - margin
    size = np.maximum(np.ceil(points.max(0) + margin - low), 3).astype(int)
    canvas = [(np.asarray(s, np.float64) * scale - low) / size for s in strokes]
    sketch = Sketch(tuple(canvas), (int(size[0]), int(size[1])), pen_px / float(size.min()))
    return ink_coverage(sketch, rng, ink), -low


def glyph_coverage(glyph: Glyph, height: float, pen_px: float, rng: np.random.Generator,
                   ink: InkStyle) -> np.ndarray:
    """A glyph's ink `height` pixels high (its pen's centre line; a scan's ink), float32."""
    if glyph.image is not None:
        image = glyph.image
        scale = height / max(image.shape[0], 1)
        size = (max(1, round(image.shape[1] * scale)), max(1, round(height)))
        return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
    assert glyph.strokes is not None
    points = np.concatenate(glyph.strokes).astype(np.float64)
    low, extent = points.min(0), np.ptp(points, axis=0)
    moved = [np.asarray(s, np.float64) - low for s in glyph.strokes]
    side = max(float(extent[1]), float(extent[0]) / WIDEST, 1e-6)  # a dash is no wider than this
    return stroke_coverage(moved, height / side, pen_px, rng, ink)[0]


@dataclass(frozen=True, eq=False)
class WrittenLine:
    """One written string: its ink's coverage (float32, a margin around it), its baseline's
    row and its text."""

    coverage: np.ndarray
    baseline: float
    text: str


def write_line(text: str, hand: Hand, others: Sequence[Glyph], height: float, spacing: str,
               rng: np.random.Generator, style: StringStyle) -> WrittenLine:
    """`text` (digits, SEPARATORS, NOT_DIGIT) in one hand, `height` pixels high, its
    neighbours `spacing` apart (StringStyle.gaps)."""
    pen = rng.uniform(*style.pen) * height
    slope, pad = rng.uniform(-style.drift, style.drift), math.ceil(height)
    inks, tops = [], []
    for i, char in enumerate(text):
        ink, top = character(char, hand, others, height, pen, rng, style)
        inks.append(ink)
        tops.append(top + (slope * i * 0.7 + rng.normal(0, style.wobble)) * height)
    shift = pad - min(tops)
    tops_px = [round(t + shift) for t in tops]
    rows = max(t + ink.shape[0] for t, ink in zip(tops_px, inks, strict=True)) + pad
    gaps = rng.uniform(*style.gaps[spacing], len(text)) * height
    beside_mark = [i for i, c in enumerate(text) if c in SEPARATORS or
                   (i > 0 and text[i - 1] in SEPARATORS)]  # marks keep apart from digits
    gaps[beside_mark] = rng.uniform(*style.gaps["natural"], len(beside_mark)) * height
    lefts = kern(inks, tops_px, rows, gaps, pad)
    width = max(x + ink.shape[1] for x, ink in zip(lefts, inks, strict=True)) + pad
    line = np.zeros((rows, width), np.float32)
    for x, y, ink in zip(lefts, tops_px, inks, strict=True):
        window = line[y:y + ink.shape[0], x:x + ink.shape[1]]
        np.maximum(window, ink, out=window)
    return slanted(WrittenLine(line, shift, text),
                   rng.uniform(-style.slant, style.slant))


def character(char: str, hand: Hand, others: Sequence[Glyph], height: float, pen: float,
              rng: np.random.Generator, style: StringStyle) -> tuple[np.ndarray, float]:
    """One character's ink and its top's row, the baseline at row 0."""
    if char.isdigit():
        choices = hand.digits[int(char)]
        size = height * rng.uniform(1 - style.size_spread, 1 + style.size_spread)
        ink = glyph_coverage(choices[int(rng.integers(len(choices)))], size, pen, rng, style.ink)
        return ink, -size - 0.5 * (ink.shape[0] - size)
    if char == NOT_DIGIT:
        size = height * rng.uniform(0.55, 1.05)
        ink = glyph_coverage(others[int(rng.integers(len(others)))], size, pen, rng, style.ink)
        return ink, -size - 0.5 * (ink.shape[0] - size)
    ink, origin = stroke_coverage(separator_strokes(char, rng), height, pen, rng, style.ink)
    return ink, -origin[1]


def kern(inks: Sequence[np.ndarray], tops: Sequence[int], rows: int, gaps: np.ndarray,
         pad: int) -> list[int]:
    """Each ink's left column: `gaps[i]` pixels right of the ink already placed, at the rows
    where they come closest (negative: the strokes cross by that much)."""
    reach = np.full(rows, -np.inf)  # per row, the rightmost ink placed so far
    lefts = []
    for ink, top, gap in zip(inks, tops, gaps, strict=True):
        inked = ink > COVERED
        has = inked.any(axis=1)
        first = np.where(has, inked.argmax(axis=1), 0)
        last = np.where(has, ink.shape[1] - 1 - inked[:, ::-1].argmax(axis=1), 0)
        span = reach[top:top + ink.shape[0]]
        shared = has & np.isfinite(span)
        if shared.any():
            left = float(np.max(span[shared] - first[shared])) + 1 + gap
        elif np.isfinite(reach).any():
            left = float(np.max(reach[np.isfinite(reach)])) + 1 + abs(gap)
        else:
            left = float(pad)
        x = max(0, round(left))
        lefts.append(x)
        np.maximum(span, np.where(has, x + last, -np.inf), out=span)
    low = min(lefts)
    return [x - low + pad for x in lefts]


def slanted(line: WrittenLine, slant: float) -> WrittenLine:
    """The line sheared about its baseline: above it to the right when `slant` is positive."""
    rows, width = line.coverage.shape
    shifts = (slant * line.baseline, slant * (line.baseline - rows))  # at the top, the bottom
    matrix = np.array([[1, -slant, slant * line.baseline - min(shifts)], [0, 1, 0]], np.float32)
    out = cv2.warpAffine(line.coverage, matrix, (width + math.ceil(abs(slant) * rows), rows),
                         flags=cv2.INTER_LINEAR, borderValue=0)
    return WrittenLine(out, line.baseline, line.text)


# --- pages ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PageStyle:
    """How pages are made: each page draws its values from these ranges (uniform)."""

    size: tuple[int, int] | None  # (width, height) of every page; None: the text and a margin
    margin: Range  # around the text, in digit heights (pages of no fixed size)
    height: Range  # digit height, pixels
    lines: dict[int, float]  # the share of pages with each number of lines
    digits: tuple[int, int]  # digits of a line, inclusive
    line_gap: Range  # baseline to baseline, in digit heights
    indent: float  # a line starts up to this many heights right of the one above
    tilt: float  # degrees, either way
    conditions: dict[str, float]  # the chance of each of CONDITIONS (pick_spec)
    paper: Range  # the paper's tone (1: white)
    ink: Range  # the ink's tone
    texture: Range  # the paper's grain and cloudiness, in tone
    rule: Range  # a ruled line's darkness, a share of the ink's
    rule_gap: Range  # ruled lines' spacing (one line of text), in digit heights
    grid: Range  # a squared paper's darkness, a share of the ink's
    grid_gap: Range  # its squares' side, in digit heights
    patterns: tuple[str, ...]  # security pattern families (PATTERNS)
    pattern: Range  # the pattern's darkness, a share of the ink's
    pattern_gap: Range  # its spacing, in digit heights
    shadow: Range  # how much light the shadow takes
    blur: Range  # sigma, in digit heights
    noise: Range  # sigma, in tone
    jpeg: tuple[int, int]  # quality, inclusive
    low_res: Range  # the camera's resolution, a share of the page's


TRAINING_PAGES = PageStyle(
    size=None, margin=(0.2, 1.5), height=(14.0, 80.0), lines={1: 0.45, 2: 0.3, 3: 0.25},
    digits=(1, 10), line_gap=(1.3, 2.2), indent=1.5, tilt=32.0,
    conditions={"texture": 0.4, "ruled": 0.25, "grid": 0.12, "security": 0.15, "shadow": 0.25,
                "blur": 0.35, "noise": 0.35, "jpeg": 0.3, "low-res": 0.15, "inverted": 0.1},
    paper=(0.6, 1.0), ink=(0.0, 0.35), texture=(0.01, 0.06), rule=(0.15, 0.8),
    rule_gap=(1.2, 2.0), grid=(0.1, 0.5), grid_gap=(0.4, 1.2), patterns=("waves", "hatch"),
    pattern=(0.1, 0.45), pattern_gap=(0.08, 0.3), shadow=(0.2, 0.6), blur=(0.01, 0.05),
    noise=(0.01, 0.06), jpeg=(15, 90), low_res=(0.3, 0.7),
)
BENCHMARK_PAGES = PageStyle(  # the benchmark's own ranges and pattern family
    size=(640, 480), margin=(0.3, 1.0), height=(20.0, 72.0), lines={1: 1.0}, digits=(1, 10),
    line_gap=(1.4, 2.0), indent=1.0, tilt=3.0,
    conditions={"texture": 0.3, "ruled": 0.2, "grid": 0.1, "security": 0.1, "shadow": 0.2,
                "blur": 0.3, "noise": 0.3, "jpeg": 0.3, "low-res": 0.1, "inverted": 0.1},
    paper=(0.7, 0.97), ink=(0.05, 0.3), texture=(0.015, 0.05), rule=(0.2, 0.7),
    rule_gap=(1.3, 1.8), grid=(0.15, 0.45), grid_gap=(0.5, 1.0), patterns=("waves", "dots"),
    pattern=(0.15, 0.4), pattern_gap=(0.1, 0.25), shadow=(0.25, 0.55), blur=(0.015, 0.04),
    noise=(0.015, 0.05), jpeg=(20, 80), low_res=(0.35, 0.6),
)
PATTERNS = ("waves", "hatch", "dots")


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


def paper_marks(shape: tuple[int, ...], baselines: Sequence[float], height: float,
                conditions: Collection[str], rng: np.random.Generator,
                pages: PageStyle) -> np.ndarray:
    """What is printed on the paper, in the block's coordinates (so it tilts with the writing),
    as darkness (a share of the ink's, float32): ruled lines under the baselines, a squared
    grid, a security pattern; `shape` and `baselines` in a frame that covers the page."""
    rows, cols = shape[0], shape[1]
    marks = np.zeros((rows, cols), np.float32)
    if "ruled" in conditions:
        gap = (baselines[1] - baselines[0] if len(baselines) > 1
               else rng.uniform(*pages.rule_gap) * height)
        first = baselines[0] + rng.uniform(-0.02, 0.12) * height
        thick = int(rng.integers(1, 3))
        for y in np.arange(first - gap * math.ceil(first / gap), rows, gap):
            rule(marks, (0, y), (cols, y), rng.uniform(*pages.rule), thick)
    if "grid" in conditions:
        gap = rng.uniform(*pages.grid_gap) * height
        darkness = rng.uniform(*pages.grid)
        for y in np.arange(rng.uniform(0, gap), rows, gap):
            rule(marks, (0, y), (cols, y), darkness, 1)
        for x in np.arange(rng.uniform(0, gap), cols, gap):
            rule(marks, (x, 0), (x, rows), darkness, 1)
    if "security" in conditions:
        family = pages.patterns[int(rng.integers(len(pages.patterns)))]
        darkness = rng.uniform(*pages.pattern)
        np.maximum(marks, darkness * pattern(family, (rows, cols), height, rng, pages),
                   out=marks)
    return marks


def rule(marks: np.ndarray, start: tuple[float, float], end: tuple[float, float],
         darkness: float, thickness: int) -> None:
    """A straight line on the marks, anti-aliased, as dark as `darkness` where it is drawn."""
    shift = 4
    a = tuple(round(v * (1 << shift)) for v in start)
    b = tuple(round(v * (1 << shift)) for v in end)
    line = np.zeros(marks.shape, np.uint8)
    cv2.line(line, a, b, 255, thickness, cv2.LINE_AA, shift)
    np.maximum(marks, line.astype(np.float32) * (darkness / 255), out=marks)


def pattern(family: str, shape: tuple[int, int], height: float, rng: np.random.Generator,
            pages: PageStyle) -> np.ndarray:
    """A security pattern's ink, float32 in [0, 1]: wavy guilloche lines ("waves"), diagonal
    hatching ("hatch") or a halftone screen of dots ("dots")."""
    rows, cols = shape
    gap = max(2.5, rng.uniform(*pages.pattern_gap) * height)
    out = np.zeros(shape, np.uint8)
    if family == "waves":
        xs = np.arange(0, cols + 8, 4, dtype=np.float64)
        wave, amplitude = rng.uniform(1.0, 4.0) * height, rng.uniform(0.1, 0.6) * height
        drift = rng.uniform(0, 2 * np.pi)
        for k, y in enumerate(np.arange(-amplitude, rows + amplitude, gap)):
            ys = y + amplitude * np.sin(2 * np.pi * xs / wave + drift + 0.3 * k)
            points = np.round(np.stack([xs, ys], 1) * 16).astype(np.int32)
            cv2.polylines(out, [points], False, 255, 1, cv2.LINE_AA, 4)
    elif family == "hatch":
        angle = np.deg2rad(rng.uniform(20, 70) * rng.choice([-1, 1]))
        direction = np.array([np.cos(angle), np.sin(angle)])
        normal = np.array([-direction[1], direction[0]]) * gap
        reach = rows + cols
        for k in range(-reach // int(gap) - 1, reach // int(gap) + 2):
            centre = np.array([cols / 2, rows / 2]) + k * normal
            a, b = centre - reach * direction, centre + reach * direction
            cv2.line(out, (round(a[0]), round(a[1])), (round(b[0]), round(b[1])), 255, 1,
                     cv2.LINE_AA)
    elif family == "dots":
        side = max(3, round(gap))
        tile = np.zeros((side, side), np.float32)
        cv2.circle(tile, (side // 2, side // 2), max(1, round(side * rng.uniform(0.12, 0.3))),
                   1.0, -1, cv2.LINE_AA)
        tiled = np.tile(tile, (rows // side + 1, cols // side + 1))[:rows, :cols]
        return np.asarray(tiled, np.float32)
    else:
        raise ValueError(f"unknown pattern {family!r} (known: {', '.join(PATTERNS)})")
    return out.astype(np.float32) / 255


def photograph(coverage: np.ndarray, marks: np.ndarray, height: float,
               conditions: Collection[str], rng: np.random.Generator,
               pages: PageStyle) -> np.ndarray:
    """Ink and printed marks on paper, as a camera or scanner gives the page: uint8 gray."""
    rows, cols = coverage.shape
    paper = rng.uniform(*pages.paper)
    ink = min(rng.uniform(*pages.ink), paper - 0.3)
    tone: np.ndarray = np.full((rows, cols), paper, np.float32)
    if "texture" in conditions:
        amount = rng.uniform(*pages.texture)
        cloud = cv2.resize(rng.normal(0, 1, (6, 8)).astype(np.float32), (cols, rows),
                           interpolation=cv2.INTER_CUBIC)
        grain = cv2.GaussianBlur(rng.normal(0, 1, (rows, cols)).astype(np.float32), (0, 0), 0.8)
        tone += amount * (cloud + grain)
    tone -= marks * (tone - ink)
    tone += (ink - tone) * coverage
    if "shadow" in conditions:
        tone *= shade((rows, cols), rng.uniform(*pages.shadow), rng)
    if "blur" in conditions:
        tone = cv2.GaussianBlur(tone, (0, 0), max(0.5, rng.uniform(*pages.blur) * height))
    if "low-res" in conditions:
        factor = rng.uniform(*pages.low_res)
        small = (max(1, round(cols * factor)), max(1, round(rows * factor)))
        tone = cv2.resize(cv2.resize(tone, small, interpolation=cv2.INTER_AREA), (cols, rows),
                          interpolation=cv2.INTER_LINEAR)
    if "inverted" in conditions:
        tone = 1 - tone
    if "noise" in conditions:
        tone += rng.normal(0, rng.uniform(*pages.noise), tone.shape).astype(np.float32)
    image = np.round(np.clip(tone, 0, 1) * 255).astype(np.uint8)
    if "jpeg" in conditions:
        quality = int(rng.integers(pages.jpeg[0], pages.jpeg[1] + 1))
        _, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        image = np.asarray(cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE), np.uint8)
    return image


def shade(shape: tuple[int, int], depth: float, rng: np.random.Generator) -> np.ndarray:
    """The light a shadow leaves, float32 in [1 - depth, 1]: darker beyond a soft edge across
    the page (a hand, a phone), or falling off from one side."""
    rows, cols = shape
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[:rows, :cols].astype(np.float32)
    along = (xs - cols / 2) * np.cos(angle) + (ys - rows / 2) * np.sin(angle)
    along /= max(rows, cols) / 2
    if rng.random() < 0.5:  # a soft edge
        edge = rng.uniform(-0.6, 0.6)
        softness = rng.uniform(0.02, 0.3)
        dark = 1 / (1 + np.exp(-(along - edge) / softness))
    else:  # a gradient
        dark = np.clip((along + 1) / 2, 0, 1)
    return np.asarray(1 - depth * dark, np.float32)
