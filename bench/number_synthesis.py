"""The numbers benchmark's writing: numbers of 1-6 digits by one hand, as strokes or an image.

bench/written_numbers.py reads them and bench/camera.py films them on paper. A number is
either one held-out pen writer's digits placed side by side as strokes, on a canvas of the
app's default height (compose_pen), or consecutive MNIST test digits cropped to their ink and
pasted side by side as an image, dark on white (compose_mnist). Both follow one Layout: the
gaps between neighbours' ink (a share of the digit height, all from one bucket, from touching
to wide), a slant of the whole number, a drifting baseline and each digit's own size and step.
The layout is the benchmark's own, seeded apart from training's generators.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from digitnet import DigitnetError
from digitnet.common.sketch import DEFAULT_BRUSH, Sketch, brush_pixels
from digitnet.data.pendigits import BENCHMARK_WRITERS, PenSample
from digitnet.data.strokes import APP_CANVAS_PX
from digitnet.reading.preprocess import INK_THRESHOLD

PEN, MNIST = "pen writers never learnt from", "MNIST test digits"  # the sources of numbers

# The horizontal gap between neighbours' ink, as a share of the digit height: one bucket a number.
GAPS = {"touching": (-0.06, 0.0), "close": (0.0, 0.12), "normal": (0.12, 0.35),
        "wide": (0.35, 0.8)}
SLANT = 0.15  # the whole number is sheared by up to this either way
DRIFT = 0.05  # the baseline rises or falls by up to this many digit heights per digit height
WOBBLE = 0.03  # each digit's own step off the baseline: this many digit heights (sd)
SIZE_SPREAD = 0.06  # each digit's height is the number's times 1 +- this
PEN_HEIGHT = (0.3, 0.55)  # a pen number's digit height / the canvas's height
MNIST_HEIGHT = (28.0, 72.0)  # an MNIST number's digit height in pixels


@dataclass(frozen=True)
class Layout:
    """How one number is written: its gaps, slant, baseline and each digit's height."""

    bucket: str  # which of GAPS its gaps come from
    gaps: tuple[float, ...]  # between neighbours' ink, in digit heights; one fewer than digits
    slant: float  # horizontal shear of the whole number (positive leans right)
    drift: float  # baseline slope: rise in digit heights per digit height along the line
    steps: tuple[float, ...]  # each digit's own offset from the baseline, in digit heights
    sizes: tuple[float, ...]  # each digit's height relative to the number's


def pick_layout(rng: np.random.Generator, length: int, bucket: str) -> Layout:
    return Layout(
        bucket,
        tuple(rng.uniform(*GAPS[bucket], length - 1).tolist()),
        float(rng.uniform(-SLANT, SLANT)),
        float(rng.uniform(-DRIFT, DRIFT)),
        tuple(rng.normal(0, WOBBLE, length).tolist()),
        tuple(rng.uniform(1 - SIZE_SPREAD, 1 + SIZE_SPREAD, length).tolist()),
    )


def place(widths: Sequence[float], layout: Layout, height: float,
          spacing: float = 0.0) -> np.ndarray:
    """Each digit's top-left corner, [L, 2] (x, y down), for digits of these widths and
    `height * layout.sizes` heights along a drifting baseline at y = 0. `spacing` is added to
    every gap (the brush's width, when the widths are of stroke centre lines)."""
    corners, x = [], 0.0
    for i, (width, size) in enumerate(zip(widths, layout.sizes, strict=True)):
        bottom = (layout.drift * x / height + layout.steps[i]) * height
        corners.append((x, bottom - size * height))
        if i < len(layout.gaps):
            x += width + spacing + layout.gaps[i] * height
    return np.array(corners)


def shear(points: np.ndarray, slant: float, centre_y: float) -> np.ndarray:
    """Lean points (x, y down) by `slant`: above `centre_y` to the right when positive."""
    return points + np.stack([slant * (centre_y - points[:, 1]), np.zeros(len(points))], 1)


def compose_pen(samples: Sequence[PenSample], layout: Layout, rng: np.random.Generator) -> Sketch:
    """One writer's digits written as a number on a canvas of the app's default height."""
    height = rng.uniform(*PEN_HEIGHT) * APP_CANVAS_PX
    brush = brush_pixels(DEFAULT_BRUSH, APP_CANVAS_PX)
    digits = []  # each digit's strokes in pixels, its centre-line box at the origin
    for sample, size in zip(samples, layout.sizes, strict=True):
        points = np.concatenate(sample.strokes).astype(np.float64)
        low, extent = points.min(0), np.ptp(points, axis=0)
        scale = size * height / max(float(extent[1]), 1e-6)
        digits.append([(s - low) * scale for s in sample.strokes])
    widths = [float(np.ptp(np.concatenate(d)[:, 0])) for d in digits]
    corners = place(widths, layout, height, spacing=brush)
    strokes = [s + corner for d, corner in zip(digits, corners, strict=True) for s in d]
    centre = float(np.concatenate(strokes)[:, 1].mean())
    strokes = [shear(s, layout.slant, centre) for s in strokes]
    return fit_on_canvas(strokes, brush, height, rng)


def fit_on_canvas(strokes: list[np.ndarray], brush: int, height: float,
                  rng: np.random.Generator) -> Sketch:
    """Strokes in pixels on a canvas APP_CANVAS_PX tall and as wide as they need (at least
    square), with a margin around them, at a seeded place."""
    points = np.concatenate(strokes)
    low, extent = points.min(0), np.ptp(points, axis=0)
    margin = brush / 2 + 2
    fit = min(1.0, (APP_CANVAS_PX - 2 * margin) / max(float(extent[1]), 1e-6))  # tall: smaller
    extent = extent * fit
    side_room = rng.uniform(0.05, 0.3) * height * 2
    width = max(APP_CANVAS_PX, int(np.ceil(extent[0] + 2 * margin + side_room)))
    size = np.array([width, APP_CANVAS_PX], np.float64)
    offset = margin + rng.uniform(0, 1, 2) * np.maximum(size - extent - 2 * margin, 0)
    placed = tuple((((s - low) * fit + offset) / size).astype(np.float32) for s in strokes)
    return Sketch(placed, (width, APP_CANVAS_PX), DEFAULT_BRUSH)


def ink_crop(image: np.ndarray) -> np.ndarray:
    """An MNIST digit (uint8, light on black) cropped to its ink, as float32 in [0, 1]."""
    ink = image.astype(np.float32) / 255
    rows = np.flatnonzero((ink > INK_THRESHOLD * ink.max()).any(1))
    columns = np.flatnonzero((ink > INK_THRESHOLD * ink.max()).any(0))
    return ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def compose_mnist(images: np.ndarray, layout: Layout,
                  rng: np.random.Generator) -> tuple[np.ndarray, tuple[float, ...]]:
    """MNIST digits [L, 28, 28] pasted side by side as a number: (the image, uint8, dark ink
    on white; each digit's centre x in it)."""
    height = rng.uniform(*MNIST_HEIGHT)
    crops = []
    for image, size in zip(images, layout.sizes, strict=True):
        crop = ink_crop(image)
        scale = size * height / crop.shape[0]
        shape = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        crops.append(cv2.resize(crop, shape, interpolation=cv2.INTER_LINEAR))
    corners = place([c.shape[1] for c in crops], layout, height)
    margin = rng.uniform(0.3, 1.0, 2) * height + np.array([SLANT * height * 2, 0])
    corners = np.round(corners - corners.min(0) + margin).astype(int)
    page = paste(crops, corners, margin)
    matrix = np.array([[1.0, -layout.slant, layout.slant * page.shape[0] / 2], [0.0, 1.0, 0.0]])
    page = cv2.warpAffine(page, matrix, page.shape[::-1], flags=cv2.INTER_LINEAR)
    centres = [matrix @ (corner[0] + crop.shape[1] / 2, corner[1] + crop.shape[0] / 2, 1)
               for corner, crop in zip(corners, crops, strict=True)]
    return (np.round(255 * (1 - page.clip(0, 1))).astype(np.uint8),
            tuple(float(c[0]) for c in centres))


def paste(crops: Sequence[np.ndarray], corners: np.ndarray, margin: np.ndarray) -> np.ndarray:
    """Ink crops pasted at their top-left (x, y) corners on a black page reaching `margin`
    (x, y) past the furthest; where neighbours overlap they share their ink."""
    ends = np.max([corner + crop.shape[::-1] for corner, crop in zip(corners, crops, strict=True)],
                  axis=0)
    page = np.zeros((int(ends[1] + margin[1]), int(ends[0] + margin[0])), np.float32)
    for (left, top), crop in zip(corners, crops, strict=True):
        window = page[top:top + crop.shape[0], left:left + crop.shape[1]]
        np.maximum(window, crop, out=window)
    return page



@dataclass(frozen=True)
class Case:
    """One number to read: its digits, how and by whom it was written, and what the paths read
    (the strokes for the app's; the image, dark ink on white, for predict's)."""

    source: str
    truth: str
    bucket: str  # the gaps' bucket, a key of GAPS
    origin: str  # whose digits: a writer, or which MNIST test digits
    sketch: Sketch | None
    image: np.ndarray
    centres: tuple[float, ...]  # each digit's centre x in the image, in pixels
    groups: tuple[list[int], ...] = ()  # pen numbers: each digit's strokes, as group_strokes says



def buckets(count: int) -> list[str]:
    """`count` gap buckets taking turns: every bucket gets its share of each length."""
    return [list(GAPS)[k % len(GAPS)] for k in range(count)]


def pen_cases(samples: Sequence[PenSample], lengths: Sequence[int], count: int,
              seed: int, writers: Sequence[int] = BENCHMARK_WRITERS) -> Iterator[Case]:
    """`count` numbers of each length, each by one of `writers` chosen at random, of that
    writer's digits chosen at random. Each length has its own generator (`--lengths 6` writes
    the same 6-digit numbers as a run of all lengths)."""
    by_writer = {w: [s for s in samples if s.writer == w] for w in writers}
    if not all(by_writer.values()):
        raise DigitnetError(f"the pendigits file lacks some of the writers {tuple(writers)}")
    for length in lengths:
        rng = np.random.default_rng([seed, 0, length])
        for bucket in buckets(count):
            writer = writers[int(rng.integers(len(writers)))]
            own = by_writer[writer]
            chosen = [own[int(i)] for i in rng.integers(len(own), size=length)]
            sketch = compose_pen(chosen, pick_layout(rng, length, bucket), rng)
            ends = np.cumsum([len(s.strokes) for s in chosen]).tolist()
            groups = tuple(list(range(end - len(s.strokes), end))
                           for s, end in zip(chosen, ends, strict=True))
            yield Case(PEN, "".join(str(s.label) for s in chosen), bucket, f"writer {writer}",
                       sketch, 255 - sketch.render(), centres(sketch, groups), groups)


def centres(sketch: Sketch, groups: Sequence[list[int]]) -> tuple[float, ...]:
    """Each group of strokes' centre x, in the canvas's pixels."""
    xs = [np.concatenate([sketch.strokes[i][:, 0] for i in group]) for group in groups]
    return tuple(float(x.min() + x.max()) / 2 * sketch.size[0] for x in xs)


def mnist_cases(images: np.ndarray, labels: np.ndarray, lengths: Sequence[int], count: int,
                seed: int) -> Iterator[Case]:
    """`count` numbers of each length, each of consecutive test digits from a seeded start."""
    for length in lengths:
        rng = np.random.default_rng([seed, 1, length])
        start = int(rng.integers(len(labels)))
        for bucket in buckets(count):
            picked = (start + np.arange(length)) % len(labels)
            start = (start + length) % len(labels)
            image, centres = compose_mnist(images[picked], pick_layout(rng, length, bucket), rng)
            yield Case(MNIST, "".join(str(d) for d in labels[picked]), bucket,
                       f"test #{picked[0]}-{picked[-1]}", None, image, centres)

