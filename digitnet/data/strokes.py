"""Any strokes laid out on a canvas as the app holds a drawing (a Sketch), and the one way any
stroke data becomes the network's input.

The app keeps a drawing as strokes in canvas units, a canvas size and a brush (a Sketch); it
renders them with `sketch.render_strokes` (a round anti-aliased brush) and reads the canvas through
`preprocess.to_mnist`. Pen trajectories (pendigits), Omniglot's characters and generated
non-digits all go through the same two steps here, so training data, benchmarks and the app
see ink made the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from digitnet.common.digits import IMAGE_SIZE
from digitnet.common.sketch import DEFAULT_BRUSH, Sketch, brush_pixels
from digitnet.reading.preprocess import to_mnist

# The canvas of the app's default 1024x640 window (digitnet.app.layout.compute_layout) is 492 px
# square.
APP_CANVAS_PX = 492


@dataclass(frozen=True)
class CanvasStyle:
    """How a drawing in any units is put on a canvas; each drawing draws its values from these
    ranges (uniform, the brush log-uniform). The drawing is slanted and rotated about its centre,
    scaled so that its longer side is `size` of the canvas's shorter side (less if it would not
    fit), and placed anywhere on the canvas that keeps it whole."""

    canvas_px: tuple[int, int] = (200, 800)  # canvas width in pixels
    aspect: tuple[float, float] = (0.75, 1.33)  # canvas height / width
    size: tuple[float, float] = (0.3, 0.9)  # the drawing's longer side / the canvas's shorter side
    brush: tuple[float, float] = (0.025, 0.1)  # brush diameter / the canvas's shorter side
    slant: float = 0.3  # horizontal shear, uniform in [-slant, slant]
    rotate_deg: float = 10.0  # rotation, uniform in [-rotate_deg, rotate_deg]


# For training: canvases, sizes, brushes (the app's default 0.05 three `[` or `]` presses either
# way), slants and rotations as varied as people's drawings in the app.
TRAINING_STYLE = CanvasStyle()
# For benchmarks: one fixed way, close to a person drawing in the app's default window with its
# default brush. Only position and size vary; slant and shape are the writer's own.
APP_STYLE = CanvasStyle(
    canvas_px=(APP_CANVAS_PX, APP_CANVAS_PX),
    aspect=(1.0, 1.0),
    size=(0.45, 0.75),
    brush=(DEFAULT_BRUSH, DEFAULT_BRUSH),
    slant=0.0,
    rotate_deg=0.0,
)


def pick_canvas(rng: np.random.Generator, style: CanvasStyle) -> tuple[tuple[int, int], float]:
    """A canvas (width, height) in pixels and a brush (a fraction of its shorter side)."""
    width = int(rng.integers(style.canvas_px[0], style.canvas_px[1], endpoint=True))
    height = max(1, round(width * rng.uniform(*style.aspect)))
    low, high = style.brush
    return (width, height), float(low * (high / low) ** rng.uniform())  # log-uniform


def lay_out(strokes: Sequence[np.ndarray], rng: np.random.Generator, style: CanvasStyle) -> Sketch:
    """Strokes in any units (y down, [K, 2] each) -> a Sketch placed on a canvas as `style` says."""
    strokes = [np.asarray(s, np.float64).reshape(-1, 2) for s in strokes]
    points = np.concatenate(strokes)
    angle = np.deg2rad(rng.uniform(-style.rotate_deg, style.rotate_deg))
    shear = rng.uniform(-style.slant, style.slant)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = rotation @ np.array([[1.0, shear], [0.0, 1.0]])
    centre = (points.min(0) + points.max(0)) / 2
    strokes = [(s - centre) @ matrix.T for s in strokes]
    points = np.concatenate(strokes)
    low, extent = points.min(0), np.ptp(points, axis=0)

    size, brush = pick_canvas(rng, style)
    canvas = np.array(size, np.float64)
    margin = brush_pixels(brush, min(size)) / 2 + 2  # the brush's edge and its smoothing stay on it
    scale = rng.uniform(*style.size) * canvas.min() / max(float(extent.max()), 1e-6)
    scale = min(scale, float(((canvas - 2 * margin) / np.maximum(extent, 1e-6)).min()))
    room = np.maximum(canvas - extent * scale - 2 * margin, 0)
    offset = margin + rng.uniform(0, 1, 2) * room
    placed = tuple((((s - low) * scale + offset) / canvas).astype(np.float32) for s in strokes)
    return Sketch(placed, size, brush)


def to_image(sketch: Sketch) -> np.ndarray:
    """The network's input for a drawing as uint8 [28, 28] (MNIST's dtype): the app's canvas through
    the canvas transform. A drawing with no ink gives an all-black image."""
    image = to_mnist(sketch.render(), invert=False)
    if image is None:
        return np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    return np.round(image * 255).astype(np.uint8)


def to_images(sketches: Iterable[Sketch]) -> np.ndarray:
    """uint8 [N, 28, 28] for N sketches (see `to_image`)."""
    images = [to_image(s) for s in sketches]
    return np.stack(images) if images else np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.uint8)


def render_all(
    drawings_strokes: Sequence[Sequence[np.ndarray]], style: CanvasStyle, seed: int
) -> np.ndarray:
    """Lay each stroke list out with `style` (one seeded generator for all, so a seed gives the same
    images every time) and render it: uint8 [N, 28, 28]."""
    rng = np.random.default_rng(seed)
    return to_images(lay_out(strokes, rng, style) for strokes in drawings_strokes)
