"""Numbers benchmark: numbers of 1-6 digits by one hand, read by the app's and predict's paths.

Two sources, each number from one hand:
- the held-out pen writers (digitnet.data.pendigits.BENCHMARK_WRITERS of pendigits-orig.tra, never
  learnt from): one writer's digits placed side by side as strokes, each scaled to a common
  height as a person writes (height varying a little), with a small slant of the whole
  number, a drifting baseline and a natural gap between neighbours, on a canvas 492 px tall
  (the app's default) and as wide as the number needs, drawn with the app's default brush.
  The app's path reads the strokes (digitnet.reading.read.read_sketch); predict's path reads the
  same canvas saved as an image, dark ink on white (read_canvas);
- MNIST *test* digits (MNIST names no writers: consecutive test digits make a number),
  cropped to their ink and pasted side by side as an image the same way, dark on white, read
  by predict's path (read_canvas).
The gap is the horizontal space between neighbours' ink, a share of the digit height; each
number takes all its gaps from one bucket, from touching (the ink overlaps a little) to wide.
The layout is the benchmark's own, seeded apart from training's generators. A number counts
only when it is read exactly: every digit, none split, merged, missed or rejected.

    python bench/written_numbers.py                              # the shipped default model
    python bench/written_numbers.py --count 400 --weights weights/simple.pt
    python bench/written_numbers.py --lengths 2 6 --grid failures.png
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

import cv2
import numpy as np

from digitnet import DigitnetError
from digitnet.common.errors import run_entry_point
from digitnet.common.sketch import DEFAULT_BRUSH, Sketch, brush_pixels
from digitnet.data.mnist import load_mnist
from digitnet.data.pendigits import (
    BENCHMARK_WRITERS,
    PenSample,
    load_pendigits,
    seen_benchmark_writers,
    writer_folds,
)
from digitnet.data.strokes import APP_CANVAS_PX, APP_STYLE, lay_out
from digitnet.model.classifier import Classifier
from digitnet.reading.grouping import group_strokes
from digitnet.reading.preprocess import INK_THRESHOLD
from digitnet.reading.read import read_canvas, read_digit, read_sketch
from digitnet.reading.result import Reading

SEED = 1616  # the benchmark's own: training's generators use other seeds and other code
LENGTHS = (1, 2, 3, 4, 5, 6)
# The horizontal gap between neighbours' ink, as a share of the digit height: one bucket a number.
GAPS = {"touching": (-0.06, 0.0), "close": (0.0, 0.12), "normal": (0.12, 0.35),
        "wide": (0.35, 0.8)}
SLANT = 0.15  # the whole number is sheared by up to this either way
DRIFT = 0.05  # the baseline rises or falls by up to this many digit heights per digit height
WOBBLE = 0.03  # each digit's own step off the baseline: this many digit heights (sd)
SIZE_SPREAD = 0.06  # each digit's height is the number's times 1 +- this
PEN_HEIGHT = (0.3, 0.55)  # a pen number's digit height / the canvas's height
MNIST_HEIGHT = (28.0, 72.0)  # an MNIST number's digit height in pixels
HANDWRITING_SEED = 0  # bench/real_handwriting.py's: the same 1,499 single-digit canvases
TARGET = 0.97  # exact numbers of 2-6 digits, held-out pen writers, both paths


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


PEN, MNIST = "pen writers never learnt from", "MNIST test digits"
APP, PREDICT = "app path (strokes -> read_sketch)", "predict path (image -> read_canvas)"
ROUTES = {PEN: (APP, PREDICT), MNIST: (PREDICT,)}  # the paths that read each source
# Why a number was misread (Outcome.failure): more parts than digits, fewer, as many but not
# cut where the digits are (strokes grouped wrong, an image cut wrong), a part rejected as not
# a digit, or every digit found but one read wrong (the model's error).
FAILURES = ("split", "merged", "cut wrong", "rejected", "misread")
KEPT = 2  # misread numbers kept per source, path, failure kind and length as examples
GRID_EXAMPLES = 12  # misread numbers drawn per source and path by --grid


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


@dataclass(frozen=True)
class Outcome:
    """What one path read in one number."""

    source: str
    path: str
    truth: str
    bucket: str
    origin: str
    read: str | None  # Reading.number
    parts: int  # how many parts the reader found
    cut_right: bool  # the parts are the digits (see `cut_right`)
    before: str | None  # a single digit: what the one-digit path reads (see `one_digit`)
    seconds: float

    @property
    def right(self) -> bool:
        return self.read == self.truth

    @property
    def failure(self) -> str:
        """Why a number was misread: one of FAILURES."""
        if self.parts != len(self.truth):
            return "split" if self.parts > len(self.truth) else "merged"
        if not self.cut_right:
            return "cut wrong"
        return "rejected" if self.read is None else "misread"


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


def one_digit(recognizer: Classifier, image: np.ndarray) -> str | None:
    """What the one-digit path (read_digit, the whole image as one digit, as before
    numbers) reads; a rejected or blank image reads as None."""
    prediction = read_digit(recognizer, image).prediction
    return None if prediction.digit is None or prediction.rejected else str(prediction.digit)


def read_case(recognizer: Classifier, case: Case, path: str) -> Outcome:
    start = time.perf_counter()
    if path == APP:
        assert case.sketch is not None  # pen numbers only
        reading: Reading = read_sketch(recognizer, case.sketch)
    else:
        reading = read_canvas(recognizer, case.image)
    seconds = time.perf_counter() - start
    before = one_digit(recognizer, case.image) if len(case.truth) == 1 else None
    return Outcome(case.source, path, case.truth, case.bucket, case.origin, reading.number,
                   len(reading.digits), cut_right(case, path, reading), before, seconds)


def cut_right(case: Case, path: str, reading: Reading) -> bool:
    """Whether the reader's parts are the number's digits: in the app's path the strokes
    grouped as written; in predict's each part (left to right) around its digit's centre."""
    if path == APP:
        assert case.sketch is not None
        sketch = case.sketch
        return group_strokes(sketch.strokes, sketch.size, sketch.brush) == list(case.groups)
    return len(reading.digits) == len(case.centres) and all(
        part.box.left <= centre <= part.box.right
        for part, centre in zip(reading.digits, case.centres, strict=True))


def like(one: Outcome, other: Outcome) -> bool:
    """The same source, path, failure kind and length."""
    return (one.source, one.path, one.failure, len(one.truth)) == (
        other.source, other.path, other.failure, len(other.truth))


def pick_examples(examples: Sequence[tuple[Outcome, np.ndarray]], source: str, path: str,
                  limit: int) -> list[tuple[Outcome, np.ndarray]]:
    """Up to `limit` misread numbers of a source and path: the failure kinds taking turns,
    each kind's longest numbers first."""
    kinds = [sorted([e for e in examples if e[0].source == source and e[0].path == path
                     and e[0].failure == kind], key=lambda e: -len(e[0].truth))
             for kind in FAILURES]
    return [e for turn in zip_longest(*kinds) for e in turn if e is not None][:limit]


def thumbnail(image: np.ndarray, height: int = 120) -> np.ndarray:
    """The image (dark ink on white) cropped to its ink with a margin, at most `height` tall."""
    left, top, width, tall = cv2.boundingRect((image < 128).astype(np.uint8))
    margin = max(4, tall // 8)
    image = image[max(0, top - margin):top + tall + margin,
                  max(0, left - margin):left + width + margin]
    scale = min(1.0, height / image.shape[0])
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


@dataclass
class Results:
    outcomes: list[Outcome]
    examples: list[tuple[Outcome, np.ndarray]]  # misread numbers and what was read


def read_all(recognizer: Classifier, cases: Iterable[Case], results: Results) -> None:
    """Read every case by every path its source has; keep the first few misread ones of each
    kind and length as examples."""
    for number, case in enumerate(cases, 1):
        for path in ROUTES[case.source]:
            outcome = read_case(recognizer, case, path)
            results.outcomes.append(outcome)
            if not outcome.right and sum(like(o, outcome) for o, _ in results.examples) < KEPT:
                results.examples.append((outcome, thumbnail(case.image)))
        if number % 200 == 0:
            print(f"  {case.source}: {number} numbers read", file=sys.stderr)


@dataclass(frozen=True)
class Singles:
    """bench/real_handwriting.py's 1,499 single-digit canvases, read by every path."""

    n: int
    best_guess: float  # the one-digit path's best guess: bench/real_handwriting.py's figure
    one_digit: float  # the one-digit path with rejects as errors
    app: float  # read_sketch's number
    predict: float  # read_canvas's number, the canvas saved dark on white
    agree: int  # canvases where the app path reads what the one-digit path reads


def heldout_singles(recognizer: Classifier, samples: Sequence[PenSample],
                    writers: Sequence[int] = BENCHMARK_WRITERS) -> Singles:
    rng = np.random.default_rng(HANDWRITING_SEED)  # in file order, as real_handwriting.py draws
    rows = []
    for sample in (s for s in samples if s.writer in writers):
        sketch = lay_out(sample.strokes, rng, APP_STYLE)
        canvas = sketch.render()
        guess = read_digit(recognizer, canvas, invert=False).prediction
        rows.append((str(sample.label), str(guess.digit),
                     None if guess.rejected else str(guess.digit),
                     read_sketch(recognizer, sketch).number,
                     read_canvas(recognizer, 255 - canvas).number))
    truth, best, strict, app, predict = (np.array(c, object) for c in zip(*rows, strict=True))
    return Singles(len(rows), float(np.mean(best == truth)), float(np.mean(strict == truth)),
                   float(np.mean(app == truth)), float(np.mean(predict == truth)),
                   int(np.sum(app == strict)))



def share(flags: Sequence[bool]) -> str:
    return f"{100 * np.mean(flags):.1f} %" if len(flags) else "-"


def path_lines(outcomes: Sequence[Outcome], lengths: Sequence[int], target: bool) -> list[str]:
    """One path's figures on one source: by length, 2-6 digits overall and by gap, failures."""
    numbers = [o for o in outcomes if len(o.truth) >= 2]
    verdict = ""
    if target and numbers:
        met = np.mean([o.right for o in numbers]) >= TARGET
        verdict = f"   (target >= {100 * TARGET:.0f} %: {'met' if met else 'NOT met'})"
    wrong = [o for o in outcomes if not o.right]
    kinds = ", ".join(f"{sum(o.failure == k for o in wrong)} {k}" for k in FAILURES)
    p50, p95 = 1000 * np.percentile([o.seconds for o in outcomes], [50, 95])
    lines = [
        "    exact number by length: " + "   ".join(
            f"{n}: {share([o.right for o in outcomes if len(o.truth) == n])}" for n in lengths),
        f"    2-6 digits: {share([o.right for o in numbers])} of {len(numbers)}{verdict}",
        "    2-6 digits by gap: " + "   ".join(
            f"{b}: {share([o.right for o in numbers if o.bucket == b])}" for b in GAPS),
        f"    misread {len(wrong)} of {len(outcomes)}: {kinds}; "
        f"reading takes p50 {p50:.1f} ms, p95 {p95:.1f} ms",
    ]
    singles = [o for o in outcomes if len(o.truth) == 1]
    if singles:
        lines.append(f"    single digits: {share([o.right for o in singles])} of {len(singles)}; "
                     "the one-digit path (Recognizer.read, as before numbers) on the same images "
                     f"{share([o.before == o.truth for o in singles])}, the same answer in "
                     f"{sum(o.before == o.read for o in singles)}")
    return lines


def example_line(outcome: Outcome) -> str:
    return (f"      {outcome.truth} -> {outcome.read or 'none'}: {outcome.failure} "
            f"({outcome.parts} parts), {outcome.bucket}, {outcome.origin}")


def singles_lines(singles: Singles) -> list[str]:
    return [
        f"single digits, the writers' {singles.n} digits drawn as bench/real_handwriting.py does:",
        f"    one-digit path (Recognizer.read, as before numbers): {100 * singles.best_guess:.2f} "
        f"% (real_handwriting.py's figure), {100 * singles.one_digit:.2f} % with rejects as errors",
        f"    app path {100 * singles.app:.2f} %, predict path {100 * singles.predict:.2f} %; "
        f"the app path reads {singles.agree} of {singles.n} as the one-digit path does",
    ]


def format_report(results: Results, args: argparse.Namespace, recognizer: Classifier,
                  singles: Singles | None) -> str:
    gaps = ", ".join(f"{b} {low:g} to {high:g}" for b, (low, high) in GAPS.items())
    lines = [f"numbers benchmark: model {recognizer.name} ({recognizer.path}), seed {args.seed}, "
             f"{args.count} numbers per length, source and path; pen writers "
             f"{', '.join(map(str, writer_folds()[args.fold].heldout))} (fold {args.fold})",
             f"  gap between neighbours' ink, in digit heights: {gaps}"]
    for source, paths in ROUTES.items():
        if not any(o.source == source for o in results.outcomes):  # MNIST, with a tuning fold
            continue
        lines.append(f"{source}:")
        for path in paths:
            mine = [o for o in results.outcomes if o.source == source and o.path == path]
            target = source == PEN and args.fold == 0  # the target is on the benchmark's writers
            lines += [f"  {path}", *path_lines(mine, args.lengths, target)]
            shown = pick_examples(results.examples, source, path, args.examples)
            if shown:
                lines.append("    misread numbers (true -> read: why, gap, whose):")
                lines += [example_line(o) for o, _ in shown]
    return "\n".join(lines + (singles_lines(singles) if singles else []))


def write_grid(path: Path, examples: Sequence[tuple[Outcome, np.ndarray]]) -> Path:
    """The misread numbers as the paths saw them, captioned true -> read."""
    from digitnet.train import reports  # matplotlib: only when a grid is asked for

    examples = [e for source, paths in ROUTES.items() for path in paths
                for e in pick_examples(examples, source, path, GRID_EXAMPLES)]
    rows = max(1, -(-len(examples) // 2))
    notes = [f"{len(examples)} misread numbers, at most {GRID_EXAMPLES} per source and path, "
             "the kinds of failure taking turns"]
    figure, axes = reports.figure("Misread numbers", notes, 12, 1.4 * rows, rows, 2)
    for k, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if k < len(examples):
            outcome, image = examples[k]
            ax.imshow(image, cmap="gray", vmin=0, vmax=255)
            where = "app" if outcome.path == APP else "predict"
            ax.set_title(f"{outcome.truth} \u2192 {outcome.read or 'none'} ({where}, "
                         f"{outcome.failure}, {outcome.bucket}, {outcome.origin})", size=9)
    return reports.save_figure(path, figure)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", help="weights file (default: the best shipped model)")
    parser.add_argument("--count", type=int, default=100,
                        help="numbers of each length from each source (default 100)")
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS),
                        metavar="N", help="numbers of these many digits (default 1 to 6)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--examples", type=int, default=5,
                        help="misread numbers printed per source and path")
    parser.add_argument("--pendigits", help="pendigits-orig.tra (default: $DIGITNET_PENDIGITS, "
                        "else pendigits/ beside the MNIST folder)")
    parser.add_argument("--data-dir", help="folder with the MNIST .gz files")
    parser.add_argument("--grid", type=Path, metavar="PNG", help="draw the misread numbers here")
    parser.add_argument("--fold", type=int, default=0, choices=range(len(writer_folds())),
                        help="whose pen digits: fold 0 (the default) is the benchmark's held-out "
                        "writers; folds 1-4 are training writers, for tuning a reader on weights "
                        "that did not learn them (pen numbers only)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error(f"--count is a number of numbers, at least 1, got {args.count}")
    if args.examples < 0:
        parser.error(f"--examples is a number of numbers, 0 or more, got {args.examples}")
    if not set(args.lengths) <= set(LENGTHS):
        parser.error(f"--lengths take 1 to {max(LENGTHS)} digits, got {args.lengths}")
    if args.grid and args.grid.suffix.lower() != ".png":
        parser.error(f"--grid takes a .png path, got {args.grid}")
    args.lengths = sorted(set(args.lengths))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    recognizer = Classifier.load(args.weights)
    writers = writer_folds()[args.fold].heldout
    seen = seen_benchmark_writers(recognizer.metadata.learned_from, writers)
    if seen:
        raise DigitnetError(f"{recognizer.path} learned from the writers "
                            f"{', '.join(map(str, seen))}: it cannot be measured on unseen writers")
    samples = load_pendigits(args.pendigits)
    results = Results([], [])
    read_all(recognizer, pen_cases(samples, args.lengths, args.count, args.seed, writers), results)
    if args.fold == 0:  # MNIST names no writers: its test digits are the benchmark's alone
        images, labels = load_mnist("test", args.data_dir)
        read_all(recognizer, mnist_cases(images, labels, args.lengths, args.count, args.seed),
                 results)
    singles = heldout_singles(recognizer, samples, writers) if 1 in args.lengths else None
    print(format_report(results, args, recognizer, singles))
    if args.grid:
        print(f"  grid of misread numbers: {write_grid(args.grid, results.examples)}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
