"""How pages of written numbers are made (`PageStyle`: training's ranges, and the benchmark's
own), and the paper and the camera they are made with: the marks printed on the paper (ruled
lines, a squared grid, a security pattern), its tone and texture, a shadow, then blur, a low
resolution, noise and JPEG. digitnet.data.pages lays the writing out on them.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from digitnet.data.strings import Range

CONDITIONS = ("texture", "ruled", "grid", "security", "shadow", "blur", "noise", "jpeg",
              "low-res", "inverted")
PATTERNS = ("waves", "hatch", "dots")


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
