"""Pen strokes as ink on scanned paper: what `predict` sees in a photo or scan of a page.

The app draws with a round brush of one width (digitnet.common.sketch). A pen on paper does not:
the line swells and thins with pressure, tapers where the pen lands and lifts, is rarely
black on a page that is rarely white, and a scanner or camera blurs and adds noise. Drawing
pen trajectories this way gives training what real scans (CVL) and photos look like, from
writers whose strokes were recorded as trajectories only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from digitnet.common.digits import IMAGE_SIZE
from digitnet.common.sketch import Sketch
from digitnet.data.strokes import CanvasStyle, lay_out
from digitnet.reading.preprocess import to_mnist

SUPERSAMPLE = 4  # ink is drawn at this multiple of the page's pixels, then averaged down
Range = tuple[float, float]


@dataclass(frozen=True)
class InkStyle:
    """Ranges each drawing draws its pen, paper and scan from (uniform). `layout` places the
    strokes on a small page (a scan's pixels) and picks the pen's mean width (its brush)."""

    layout: CanvasStyle = field(default_factory=lambda: CanvasStyle(
        canvas_px=(48, 160), size=(0.45, 0.85), brush=(0.025, 0.12)))
    taper: Range = (0.15, 0.7)  # a stroke's width where the pen lands and lifts, of its mean
    taper_share: Range = (0.05, 0.25)  # how much of a stroke's length the taper takes, each end
    pressure: Range = (0.0, 0.35)  # how much the width swells and thins along a stroke
    paper: Range = (0.8, 1.0)  # the paper's tone (1: white)
    shading: Range = (0.0, 0.04)  # the paper's tone falls by up to this across the page
    ink: Range = (0.0, 0.35)  # the ink's tone where it covers the paper fully
    blur_px: Range = (0.3, 1.0)  # the scan's blur (Gaussian sigma, in page pixels)
    noise: Range = (0.0, 0.015)  # the scan's noise (sigma, in tone)


TRAINING_INK = InkStyle()


def widths(length: np.ndarray, rng: np.random.Generator, style: InkStyle) -> np.ndarray:
    """The pen's width along a stroke, as a multiple of its mean, at these arc lengths (0 to
    the stroke's length): tapered at both ends, swelling with a smooth random pressure."""
    total = max(float(length[-1]), 1e-6)
    t = length / total
    ramp = np.clip(np.minimum(t, 1 - t) / rng.uniform(*style.taper_share), 0, 1)
    land, lift = rng.uniform(*style.taper, 2)
    floor = np.where(t < 0.5, land, lift)
    tapered = floor + (1 - floor) * ramp
    phases, cycles = rng.uniform(0, 2 * np.pi, 2), rng.uniform(0.5, 2.5, 2)
    swell = np.sin(2 * np.pi * cycles[:, None] * t + phases[:, None]).mean(axis=0)
    return tapered * (1 + rng.uniform(*style.pressure) * swell)


def resample(points: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Points every `step` along a polyline, and their arc lengths from its start."""
    segment = np.linalg.norm(np.diff(points, axis=0), axis=1)
    length = np.concatenate([[0.0], np.cumsum(segment)])
    at = np.arange(0.0, length[-1] + step / 2, step) if length[-1] > 0 else np.zeros(1)
    return np.stack([np.interp(at, length, points[:, i]) for i in range(2)], axis=1), at


def ink_coverage(sketch: Sketch, rng: np.random.Generator, style: InkStyle) -> np.ndarray:
    """How much of each page pixel the pen covered: float32 [height, width] in [0, 1]."""
    width, height = sketch.size
    scale = SUPERSAMPLE * np.array([width, height], np.float64)
    mean_px = max(sketch.brush * min(width, height), 0.6) * SUPERSAMPLE
    cover = np.zeros((height * SUPERSAMPLE, width * SUPERSAMPLE), np.uint8)
    for stroke in sketch.strokes:
        points, length = resample(np.asarray(stroke, np.float64) * scale, SUPERSAMPLE / 2)
        radii = np.maximum(widths(length, rng, style) * mean_px / 2, 1.0)
        for (x, y), r in zip(np.round(points).astype(int).tolist(), radii.tolist(), strict=True):
            cv2.circle(cover, (x, y), round(r), 255, -1, cv2.LINE_8)
    return cv2.resize(cover, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255


def scan(coverage: np.ndarray, rng: np.random.Generator, style: InkStyle) -> np.ndarray:
    """Covered pixels as ink on paper, scanned: uint8 gray, dark ink on light paper."""
    height, width = coverage.shape
    direction = rng.normal(size=2)
    direction /= max(float(np.linalg.norm(direction)), 1e-6)
    ys, xs = np.mgrid[:height, :width]
    across = (xs / max(width, 1) * direction[0] + ys / max(height, 1) * direction[1])
    paper = rng.uniform(*style.paper) - rng.uniform(*style.shading) * (across - across.min())
    page = paper + (rng.uniform(*style.ink) - paper) * coverage
    page = cv2.GaussianBlur(page.astype(np.float32), (0, 0), rng.uniform(*style.blur_px))
    page += rng.normal(0, rng.uniform(*style.noise), page.shape).astype(np.float32)
    return np.round(np.clip(page, 0, 1) * 255).astype(np.uint8)


def ink_page(strokes: Sequence[np.ndarray], rng: np.random.Generator,
             style: InkStyle = TRAINING_INK) -> np.ndarray:
    """Strokes in any units (y down) written in ink on a scanned page: uint8 gray."""
    sketch = lay_out(strokes, rng, style.layout)
    return scan(ink_coverage(sketch, rng, style), rng, style)


def ink_all(drawings_strokes: Sequence[Sequence[np.ndarray]], style: InkStyle,
            seed: int) -> np.ndarray:
    """Each drawing in ink on paper, through the canvas transform as `predict` reads paper:
    uint8 [N, 28, 28] (one seeded generator for all, as strokes.render_all)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((len(drawings_strokes), IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    for i, strokes in enumerate(drawings_strokes):
        image = to_mnist(ink_page(strokes, rng, style), invert=True)
        if image is not None:
            out[i] = np.round(image * 255)
    return out
