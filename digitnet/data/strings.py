"""Synthetic numbers written by hand: strings of one writer's isolated digits.

Readers of handwritten numbers learn from far more strings than exist written by hand; here
they are made from isolated characters of many writers (digitnet.data.hands: MNIST, CVL's scans,
pendigits' and UNIPEN's pen trajectories written in ink by digitnet.data.ink). Every string is one
hand's: its digits, its pen, its size and slant. Neighbours are set apart by the ink's own
outline (the gap between their closest strokes, row by row), so "touching" strings touch and
"overlapping" ones cross, whatever the digits' shapes. Separators (. , - /) are drawn with the
writer's pen; drawings that are not digits (letters, doodles, scribbles) stand as `NOT_DIGIT`.

Pages hold one or more such lines (digitnet.data.pages), on paper (digitnet.data.paper).
Everything random is drawn from one generator the caller seeds; what is drawn, and from which
ranges, is a `StringStyle` and a `PageStyle`. Training and the benchmark never share either:
`TRAINING_STRINGS`/`TRAINING_PAGES` serve training and the tuning fold,
`BENCHMARK_STRINGS`/`BENCHMARK_PAGES` (ranges, ink, pattern families of their own) the
benchmark, and `load_hands` takes the writers of one fold of the registry only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from digitnet.common.line_format import NOT_DIGIT, SEPARATORS
from digitnet.common.sketch import Sketch
from digitnet.data.hands import COVERED, Glyph, Hand
from digitnet.data.ink import InkStyle, ink_coverage

WIDEST = 1.5  # a glyph is scaled to its height, or to this many heights wide if it is wider
SPACINGS = ("natural", "touching", "overlapping")
Range = tuple[float, float]


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



