"""Generated drawings that are not digits, as strokes on a canvas the way the app holds them.

Kinds: dots and ticks (specks: marks too small for a digit), dashes, random scribbles,
zig-zags, crosses, shapes, filled blobs and letters, each drawn with jitter. Left out on
purpose, because a person drawing them may well mean a digit: single closed loops (circles,
ovals, diamonds: 0), single straight strokes that are not near horizontal (1), upward arrows
(a flagged 1), and the letters B (8), C (0 or 6), D (0), G (6), I and l (1), J (7), L (a 1 with
a foot), O (0), P (9), S (5), U (0), Z (2), a, b, e, g, q, y (9 or 6) and r (a flagged 1).

Training and the benchmark draw from disjoint letter and shape templates, different ranges
(zig-zag segments, scribble turns, cross strokes) and different canvas styles, so the benchmark
measures shapes the model never learnt from (`TRAINING_SCRIBBLES` vs `BENCHMARK_SCRIBBLES`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from digitnet.common.sketch import Sketch
from digitnet.data.strokes import APP_STYLE, TRAINING_STYLE, CanvasStyle, lay_out, pick_canvas
from digitnet.reading.reject import SPECK_MAX  # the reading's rule: what is a speck

SPECK_KINDS = ("dot", "tick")
KINDS = (*SPECK_KINDS, "dash", "scribble", "zigzag", "cross", "shape", "blob", "letter")
Points = list[tuple[float, float]]


def _arc(
    cx: float, cy: float, rx: float, ry: float, start_deg: float, end_deg: float, n: int = 9
) -> Points:
    """Points on an elliptic arc, angles clockwise from 3 o'clock (y down)."""
    t = np.deg2rad(np.linspace(start_deg, end_deg, n))
    return list(zip((cx + rx * np.cos(t)).tolist(), (cy + ry * np.sin(t)).tolist(), strict=True))


# Letter templates: strokes of (x, y) points in a box of height 1, y down.
LETTERS: dict[str, tuple[Points, ...]] = {
    "A": ([(0, 1), (0.35, 0), (0.7, 1)], [(0.15, 0.6), (0.55, 0.6)]),
    "E": ([(0.6, 0), (0, 0), (0, 1), (0.6, 1)], [(0, 0.5), (0.45, 0.5)]),
    "F": ([(0.6, 0), (0, 0), (0, 1)], [(0, 0.5), (0.45, 0.5)]),
    "H": ([(0, 0), (0, 1)], [(0.6, 0), (0.6, 1)], [(0, 0.5), (0.6, 0.5)]),
    "K": ([(0, 0), (0, 1)], [(0.6, 0), (0, 0.55)], [(0.2, 0.4), (0.6, 1)]),
    "M": ([(0, 1), (0, 0), (0.4, 0.6), (0.8, 0), (0.8, 1)],),
    "N": ([(0, 1), (0, 0), (0.6, 1), (0.6, 0)],),
    "W": ([(0, 0), (0.2, 1), (0.4, 0.3), (0.6, 1), (0.8, 0)],),
    "m": (
        [(0, 1), (0, 0.1)],
        [(0, 0.35), *_arc(0.2, 0.35, 0.2, 0.3, 180, 360), (0.4, 1)],
        [(0.4, 0.35), *_arc(0.6, 0.35, 0.2, 0.3, 180, 360), (0.8, 1)],
    ),
    "n": ([(0, 1), (0, 0)], [(0, 0.35), *_arc(0.25, 0.35, 0.25, 0.35, 180, 360), (0.5, 1)]),
    "#": (
        [(0.25, 0), (0.15, 1)],
        [(0.55, 0), (0.45, 1)],
        [(0, 0.33), (0.7, 0.33)],
        [(0, 0.67), (0.7, 0.67)],
    ),
    "R": (
        [(0, 1), (0, 0)],
        [(0, 0), *_arc(0.2, 0.25, 0.3, 0.25, 270, 450), (0, 0.5)],
        [(0.1, 0.5), (0.55, 1)],
    ),
    "T": ([(0, 0), (0.7, 0)], [(0.35, 0), (0.35, 1)]),
    "V": ([(0, 0), (0.35, 1), (0.7, 0)],),
    "Y": ([(0, 0), (0.35, 0.5)], [(0.7, 0), (0.35, 0.5), (0.35, 1)]),
    "h": ([(0, 0), (0, 1)], [(0, 0.6), *_arc(0.25, 0.6, 0.25, 0.25, 180, 360), (0.5, 1)]),
    "k": ([(0, 0), (0, 1)], [(0.5, 0.4), (0, 0.75), (0.5, 1)]),
    "*": ([(0.35, 0), (0.35, 0.7)], [(0, 0.15), (0.7, 0.55)], [(0, 0.55), (0.7, 0.15)]),
}

_STAR = [(0.5 + 0.5 * np.sin(a), 0.5 - 0.5 * np.cos(a)) for a in np.deg2rad(np.arange(0, 721, 144))]
# Shape templates, as letters; the random ones are made by functions below.
SHAPES: dict[str, tuple[Points, ...]] = {
    "triangle": ([(0, 1), (0.5, 0), (1, 1), (0, 1)],),
    "rectangle": ([(0, 0), (1.8, 0), (1.8, 1), (0, 1), (0, 0)],),  # wide: a tall one is a 0
    "star": ([(float(x), float(y)) for x, y in _STAR],),
    "arrow": (
        [(0, 0.5), (1.5, 0.5)],
        [(1.1, 0.2), (1.5, 0.5), (1.1, 0.8)],
    ),  # sideways: up is a flagged 1
    "wave": (
        _arc(0.25, 0.5, 0.25, 0.4, 180, 360)
        + _arc(0.75, 0.5, 0.25, 0.4, 180, 0)
        + _arc(1.25, 0.5, 0.25, 0.4, 180, 360),
    ),
    "house": ([(0, 0.4), (0, 1), (0.8, 1), (0.8, 0.4), (0, 0.4)], [(0, 0.4), (0.4, 0), (0.8, 0.4)]),
    "check": ([(0, 0.6), (0.3, 1), (1, 0)],),
    "spiral": (
        [
            (0.5 + r * np.cos(a), 0.5 + r * np.sin(a))
            for a, r in zip(np.linspace(0, 5 * np.pi, 40), np.linspace(0.05, 0.5, 40), strict=True)
        ],
    ),
}


@dataclass(frozen=True)
class ScribbleStyle:
    """What a generator draws: its kinds (in turn), templates, ranges, jitter and canvases."""

    letters: tuple[str, ...]  # keys of LETTERS
    shapes: tuple[str, ...]  # keys of SHAPES
    zigzag_segments: tuple[int, int]  # inclusive range
    scribble_turns: tuple[int, int]  # control points of a scribble, inclusive range
    cross_strokes: tuple[int, int]  # inclusive range
    jitter: float = 0.06  # template points move by this (standard deviation, in letter heights)
    canvas: CanvasStyle = TRAINING_STYLE
    kinds: tuple[str, ...] = field(default=KINDS)


TRAINING_SCRIBBLES = ScribbleStyle(
    letters=("A", "E", "F", "H", "K", "M", "N", "W", "m", "n", "#"),
    shapes=("triangle", "rectangle", "star", "arrow", "wave"),
    zigzag_segments=(4, 7),
    scribble_turns=(8, 14),
    cross_strokes=(2, 2),
)
BENCHMARK_SCRIBBLES = ScribbleStyle(
    letters=("R", "T", "V", "Y", "h", "k", "*"),
    shapes=("house", "check", "spiral"),
    zigzag_segments=(8, 12),
    scribble_turns=(15, 25),
    cross_strokes=(2, 3),
    canvas=APP_STYLE,
)


@dataclass(frozen=True, eq=False)
class NonDigit:
    kind: str  # one of KINDS
    sketch: Sketch


def generate_non_digits(
    n: int, seed: int, style: ScribbleStyle = TRAINING_SCRIBBLES
) -> list[NonDigit]:
    """n drawings, the style's kinds in turn (an equal share each), reproducible from `seed`."""
    unknown = set(style.kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)} (known: {', '.join(KINDS)})")
    rng = np.random.default_rng(seed)
    kinds = [style.kinds[i % len(style.kinds)] for i in range(n)]
    return [NonDigit(kind, _DRAWERS[kind](rng, style)) for kind in kinds]


def _speck(
    rng: np.random.Generator, style: ScribbleStyle, make: Callable[[float], list[np.ndarray]]
) -> Sketch:
    """A mark made by `make(side)` in pixels about (0, 0), anywhere on a canvas from the style."""
    size, brush = pick_canvas(rng, style.canvas)
    canvas = np.array(size, np.float64)
    strokes = make(float(canvas.min()))
    centre = rng.uniform(0.1, 0.9, 2) * canvas
    return Sketch(tuple(((s + centre) / canvas).astype(np.float32) for s in strokes), size, brush)


def _dot(rng: np.random.Generator, style: ScribbleStyle) -> Sketch:
    """A click, or a click with a tiny wiggle (within 1 % of the canvas either way)."""
    points = 1 if rng.random() < 0.5 else int(rng.integers(2, 5))
    return _speck(
        rng,
        style,
        lambda side: [np.clip(rng.normal(0, 0.004 * side, (points, 2)), -0.01 * side, 0.01 * side)],
    )


def _tick(rng: np.random.Generator, style: ScribbleStyle) -> Sketch:
    """A short stroke in any direction, 1 % to SPECK_MAX of the canvas's shorter side long."""
    length, angle = rng.uniform(0.01, SPECK_MAX), rng.uniform(0, 2 * np.pi)
    along = np.linspace(-0.5, 0.5, int(rng.integers(2, 5)))[:, None] * [
        np.cos(angle),
        np.sin(angle),
    ]
    return _speck(rng, style, lambda side: [along * length * side])


def _dash(rng: np.random.Generator, style: ScribbleStyle) -> Sketch:
    """A digit-sized line within 20 degrees of horizontal (a steeper one could be a 1)."""
    angle = np.deg2rad(rng.uniform(-20, 20))
    line = np.array([[-np.cos(angle), -np.sin(angle)], [np.cos(angle), np.sin(angle)]])
    return lay_out([line + rng.normal(0, 0.02, line.shape)], rng, style.canvas)


def _smooth(points: np.ndarray, rounds: int = 3) -> np.ndarray:
    """Chaikin's corner cutting: a polyline becomes a smooth curve with the same ends."""
    for _ in range(rounds):
        inner = np.empty((2 * len(points) - 2, 2))
        inner[0::2] = 0.75 * points[:-1] + 0.25 * points[1:]
        inner[1::2] = 0.25 * points[:-1] + 0.75 * points[1:]
        points = np.concatenate([points[:1], inner, points[-1:]])
    return points


def _scribble(rng: np.random.Generator, style: ScribbleStyle) -> Sketch:
    """A smooth curve through random points, in one stroke or, one time in three, two."""
    turns = int(rng.integers(style.scribble_turns[0], style.scribble_turns[1], endpoint=True))
    curve = _smooth(rng.uniform(0, 1, (turns, 2)) * [rng.uniform(0.7, 1.5), 1])
    cut = (
        int(rng.integers(len(curve) // 3, 2 * len(curve) // 3))
        if rng.random() < 1 / 3
        else len(curve)
    )
    return lay_out([s for s in (curve[:cut], curve[cut:]) if len(s)], rng, style.canvas)


def _zigzag(rng: np.random.Generator, style: ScribbleStyle) -> Sketch:
    """Sharp turns along a near-horizontal line (a vertical zig-zag can pass for a 3 or a 2)."""
    segments = int(rng.integers(style.zigzag_segments[0], style.zigzag_segments[1], endpoint=True))
    x = np.cumsum(np.r_[0, rng.uniform(0.2, 0.45, segments)])
    y = (np.arange(segments + 1) % 2).astype(np.float64)
    line = np.stack([x, y], axis=1) + rng.normal(0, 0.05, (segments + 1, 2))
    return lay_out([line], rng, style.canvas)


def _cross(rng: np.random.Generator, style: ScribbleStyle) -> Sketch:
    """Two or more lines crossing near their middles: an X, a +, an asterisk."""
    count = int(rng.integers(style.cross_strokes[0], style.cross_strokes[1], endpoint=True))
    first = rng.uniform(0, np.pi)
    lines = []
    for k in range(count):
        angle = first + k * np.pi / count + rng.normal(0, np.deg2rad(8))
        direction = np.array([np.cos(angle), np.sin(angle)])
        length, middle = rng.uniform(0.7, 1.0), rng.uniform(-0.15, 0.15)
        lines.append(np.outer([middle - length / 2, middle + length / 2], direction))
    return lay_out(lines, rng, style.canvas)


def _template(
    rng: np.random.Generator,
    style: ScribbleStyle,
    templates: dict[str, tuple[Points, ...]],
    names: tuple[str, ...],
) -> Sketch:
    template = templates[names[int(rng.integers(len(names)))]]
    return lay_out(
        [_wobble(np.asarray(s, np.float64), rng, style.jitter) for s in template], rng, style.canvas
    )


def _wobble(
    stroke: np.ndarray, rng: np.random.Generator, jitter: float, anchors: int = 4
) -> np.ndarray:
    """Move a stroke's points smoothly: random offsets at up to `anchors` points along it, and
    in between linearly interpolated, so a curve stays a curve and a corner may move."""
    count = min(len(stroke), anchors)
    offsets = rng.normal(0, jitter, (count, 2))
    where = np.linspace(0, count - 1, len(stroke))
    return stroke + np.stack(
        [np.interp(where, np.arange(count), offsets[:, i]) for i in (0, 1)], axis=1
    )


def _blob(rng: np.random.Generator, style: ScribbleStyle) -> Sketch:
    """A filled ellipse of digit size: one stroke hatching it back and forth, its rows closer
    together than the brush is wide."""
    size, brush = pick_canvas(rng, style.canvas)
    canvas = np.array(size, np.float64)
    radii = (
        rng.uniform(*style.canvas.size) * canvas.min() / 2 * np.array([rng.uniform(0.5, 1.0), 1.0])
    )
    rows = np.arange(-1, 1, 0.5 * brush * canvas.min() / radii[1])
    half_widths = np.sqrt(np.clip(1 - rows**2, 0, 1)) * radii[0]
    sides = np.where(np.arange(len(rows)) % 2, 1.0, -1.0)
    ends = np.stack(
        [
            np.stack([-sides * half_widths, sides * half_widths], 1).ravel(),
            np.repeat(rows * radii[1], 2),
        ],
        axis=1,
    )
    centre = (
        radii
        + brush * canvas.min()
        + rng.uniform(0, 1, 2) * np.maximum(canvas - 2 * radii - 2 * brush * canvas.min(), 0)
    )
    return Sketch((((ends + centre) / canvas).astype(np.float32),), size, brush)


_DRAWERS: dict[str, Callable[[np.random.Generator, ScribbleStyle], Sketch]] = {
    "dot": _dot,
    "tick": _tick,
    "dash": _dash,
    "scribble": _scribble,
    "zigzag": _zigzag,
    "cross": _cross,
    "shape": lambda rng, style: _template(rng, style, SHAPES, style.shapes),
    "blob": _blob,
    "letter": lambda rng, style: _template(rng, style, LETTERS, style.letters),
}
