"""Paper-photo benchmark: digits and numbers written dark on paper and photographed badly, read
by predict's path, against the very same digits on clean paper.

Each page holds a number of 1-6 digits by one writer: MNIST *test* digits, or the digits of one
held-out pen writer (digitnet.data.pendigits.BENCHMARK_WRITERS, drawn with a pen of their own
width), at a size and spacing of their own, sometimes with a "." between two digits. Each page
is printed twice: on clean white paper, and as a bad photo: grey paper, uneven light and a soft
shadow, ruled lines under the digits, a dark table edge at one side, a dust speck or two,
blur, camera noise (sigma 8) and JPEG. This generator, its seeds and its ranges are its own:
training never sees them.

Both prints are read the same way, as `predict` reads an image (digitnet.reading.read.read_canvas:
the paper reader's parts, the model choosing where the shape is unsure, each through the canvas
transform and the model), forced choice (the reject rule is another benchmark's subject). A
page is read right if its parts are exactly its digits, each read as itself; a digit is read
right if its page was cut into as many parts as it has digits and its own part reads as it.
The target: photo accuracy >= 99 % of clean-paper accuracy. For single digits the old path
(find_ink of the whole photo, as before issue #16) is measured too.

    python bench/paper_photos.py
    python bench/paper_photos.py --count 600 --seed 1 --weights weights/simple.pt
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from common import (
    add_data_dir,
    add_pendigits,
    add_weights,
    parser_for,
    percentiles,
    refuse_seen_writers,
)

from digitnet.common.argtypes import non_negative_int, positive_int
from digitnet.common.errors import run_entry_point
from digitnet.common.sketch import render_strokes
from digitnet.data.mnist import load_mnist
from digitnet.data.pendigits import BENCHMARK_WRITERS, PenSample, load_pendigits, of_writers
from digitnet.model.classifier import Classifier
from digitnet.reading.preprocess import find_ink, frame_ink
from digitnet.reading.read import read_canvas

SEED = 16_0416  # this benchmark's own; not a training or mixture seed
PAGE = (640, 480)  # (width, height) of every page, a phone photo scaled down
LENGTHS = (1, 2, 3, 4, 5, 6)
NOISE_SIGMA = 8.0  # camera noise, in 8-bit levels


@dataclass(frozen=True)
class Writer:
    """Where a page's digits come from: MNIST's test set, or one held-out pen writer."""

    name: str
    digits: list[np.ndarray]  # per label, the sample indices of this writer
    mnist: np.ndarray | None  # uint8 [N, 28, 28] for MNIST, None for a pen writer
    pen: list[PenSample] | None


@dataclass(frozen=True)
class Page:
    labels: tuple[int, ...]
    ink: np.ndarray  # float32 [H, W] in [0, 1]: where the pen put ink
    writer: str


@dataclass(frozen=True)
class Tally:
    """How one print (clean or photo) of every page was read."""

    digits: int
    digits_right: int
    pages_right: np.ndarray  # bool per page: its number read exactly
    cut_right: np.ndarray  # bool per page: as many parts as digits
    seconds: list[float]  # read_canvas' time per page


def writers(mnist_dir: str | None, pendigits: str | None) -> list[Writer]:
    images, labels = load_mnist("test", mnist_dir)
    result = [Writer("mnist", [np.flatnonzero(labels == d) for d in range(10)], images, None)]
    samples = of_writers(load_pendigits(pendigits), BENCHMARK_WRITERS)
    for writer in BENCHMARK_WRITERS:
        own = [s for s in samples if s.writer == writer]
        by_label = [np.array([i for i, s in enumerate(own) if s.label == d]) for d in range(10)]
        result.append(Writer(f"pen writer {writer}", by_label, None, own))
    return result


def mnist_ink(image: np.ndarray, height: int) -> np.ndarray:
    """An MNIST digit cropped to its ink and scaled to `height` pixels (aspect kept)."""
    rows, cols = np.nonzero(image > 25)
    crop = image[rows.min():rows.max() + 1, cols.min():cols.max() + 1].astype(np.float32) / 255
    width = max(1, round(crop.shape[1] * height / crop.shape[0]))
    return np.asarray(cv2.resize(crop, (width, height), interpolation=cv2.INTER_LINEAR))


def pen_ink(sample: PenSample, height: int, pen: float) -> np.ndarray:
    """A pen sample drawn `height` pixels high with a pen `pen` of its height wide."""
    points = np.concatenate(sample.strokes)
    low, extent = points.min(0), np.maximum(np.ptp(points, axis=0), 1.0)
    scale = (height - 1) / extent[1]
    margin = pen * height / 2 + 1
    size = (round(extent[0] * scale + 2 * margin), round(height + 2 * margin))
    strokes = [((s - low) * scale + margin) / np.array(size, float) for s in sample.strokes]
    brush = pen * height / min(size)
    return render_strokes(strokes, size, brush).astype(np.float32) / 255


def compose(rng: np.random.Generator, writer: Writer, length: int) -> Page:
    """A number of `length` digits by `writer`, on a baseline across the page."""
    labels = tuple(int(d) for d in rng.integers(0, 10, length))
    height = int(rng.integers(36, 90))
    pen = rng.uniform(0.07, 0.13)
    glyphs = []
    for label in labels:
        index = int(rng.choice(writer.digits[label]))
        if writer.mnist is not None:
            glyphs.append(mnist_ink(writer.mnist[index], height))
        else:
            assert writer.pen is not None
            glyphs.append(pen_ink(writer.pen[index], height, pen))
    room = PAGE[0] - 80 - height * (0.5 * (length - 1) + 0.5)  # the margins, gaps and a dot
    width = sum(g.shape[1] for g in glyphs)
    if width > room:  # a long number of wide digits: written smaller
        scale = room / width
        glyphs = [cv2.resize(g, (max(1, round(g.shape[1] * scale)),
                                 max(1, round(g.shape[0] * scale))), interpolation=cv2.INTER_AREA)
                  for g in glyphs]
        height = max(g.shape[0] for g in glyphs)
    return Page(labels, lay_out(rng, glyphs, height), writer.name)


def lay_out(rng: np.random.Generator, glyphs: Sequence[np.ndarray], height: int) -> np.ndarray:
    """The glyphs side by side at gaps of 0.15-0.5 of their height, the baseline drifting a
    little, sometimes with a "." after one of them; centred somewhere on the page."""
    gaps = rng.uniform(0.15, 0.5, len(glyphs)) * height
    dot_after = int(rng.integers(0, len(glyphs) - 1)) if len(glyphs) > 1 and rng.random() < 0.4 \
        else -1
    total = sum(g.shape[1] for g in glyphs) + gaps[:-1].sum() + (height if dot_after >= 0 else 0)
    width, page_height = PAGE
    x = rng.uniform(40, max(41, width - 40 - total))
    baseline = rng.uniform(height + 40, page_height - 40)
    ink = np.zeros((page_height, width), np.float32)
    for index, glyph in enumerate(glyphs):
        drift = rng.uniform(-0.05, 0.05) * height
        top, left = int(baseline + drift - glyph.shape[0]), int(x)
        right = min(width, left + glyph.shape[1])
        region = ink[top:top + glyph.shape[0], left:right]
        np.maximum(region, glyph[:, :right - left], out=region)
        x += glyph.shape[1] + gaps[index]
        if index == dot_after:
            radius = max(2, round(0.06 * height))
            cv2.circle(ink, (int(x), int(baseline) - radius), radius, 1.0, -1, cv2.LINE_AA)
            x += height / 2
    return ink


def clean_paper(page: Page) -> np.ndarray:
    """Black ink on white paper, nothing else: uint8 gray."""
    return np.round(255 * (1 - page.ink)).astype(np.uint8)


def photograph(rng: np.random.Generator, page: Page) -> np.ndarray:
    """The page as a bad phone photo (see the module's docstring): uint8 gray."""
    height, width = page.ink.shape
    paper = paper_tone(rng, (height, width))
    ruled(rng, paper, page)
    darkness = rng.uniform(0.7, 0.92)  # the pen's: how much of the light it takes away
    photo: np.ndarray = paper * (1 - darkness * page.ink)
    for _ in range(int(rng.integers(0, 3))):  # dust
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.circle(photo, centre, int(rng.integers(1, 3)), 0.3, -1, cv2.LINE_AA)
    table_edge(rng, photo)
    photo = cv2.GaussianBlur(photo, (0, 0), rng.uniform(0.5, 1.3))
    photo = photo * 255 + rng.normal(0, NOISE_SIGMA, photo.shape)
    quality = int(rng.integers(55, 91))
    encoded = cv2.imencode(".jpg", np.clip(photo, 0, 255).astype(np.uint8),
                           [cv2.IMWRITE_JPEG_QUALITY, quality])[1]
    return np.asarray(cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE))


def paper_tone(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Grey paper (0.55-0.85), lit unevenly (a smooth random field and a falloff of up to 35 %
    across the page), with a soft shadow over part of it."""
    height, width = shape
    field = cv2.resize(rng.uniform(-0.08, 0.08, (3, 4)).astype(np.float32), (width, height),
                       interpolation=cv2.INTER_CUBIC)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xs / width + np.sin(angle) * ys / height)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    paper = rng.uniform(0.55, 0.85) * (1 + field) * (1 - rng.uniform(0, 0.35) * ramp)
    shadow: np.ndarray = np.zeros(shape, np.float32)
    corner = np.array([[0, 0], [width, 0], [width, height], [0, height]])[rng.integers(0, 4)]
    reach = rng.uniform(0.3, 0.7) * np.array([width, height])
    direction = np.where(corner > 0, -1, 1)
    points = [corner, corner + direction * [reach[0], 0], corner + direction * [0, reach[1]]]
    cv2.fillPoly(shadow, [np.array(points, np.int32)], 1.0)
    shadow = cv2.GaussianBlur(shadow, (0, 0), rng.uniform(10, 40))
    return np.asarray(paper * (1 - rng.uniform(0.2, 0.45) * shadow), np.float32)


def ruled(rng: np.random.Generator, paper: np.ndarray, page: Page) -> None:
    """On half the pages, faint ruled lines, one along the digits' baseline, slightly tilted."""
    if rng.random() < 0.5:
        return
    rows = np.flatnonzero(page.ink.max(axis=1) > 0.5)
    spacing = rng.uniform(1.2, 1.8) * (rows.max() - rows.min() + 1)
    tilt = rng.uniform(-0.02, 0.02) * paper.shape[1]
    shade = rng.uniform(0.6, 0.85)
    y = float(rows.max()) + 2
    while y - spacing > 0:
        y -= spacing
    while y < paper.shape[0]:
        start, end = (0, int(y * 16)), (paper.shape[1] * 16, int((y + tilt) * 16))
        level = float(np.median(paper)) * shade
        cv2.line(paper, start, end, level, int(rng.integers(1, 3)), cv2.LINE_AA, 4)
        y += spacing


def table_edge(rng: np.random.Generator, photo: np.ndarray) -> None:
    """On 60 % of the pages, a dark table beside the paper at one side, its edge slightly
    slanted, 3-12 % of the page deep."""
    if rng.random() < 0.4:
        return
    height, width = photo.shape
    side = int(rng.integers(0, 4))
    along, across = (height, width) if side in (0, 1) else (width, height)
    depth = rng.uniform(0.03, 0.12) * across
    slant = rng.uniform(-0.03, 0.03) * across
    table = np.zeros(photo.shape, np.uint8)
    near = [(0, 0), (depth, 0), (depth + slant, along), (0, along)]
    corners = [(x, y) if side in (0, 1) else (y, x) for x, y in near]
    if side in (1, 3):  # the far side: mirror
        corners = [((width - x) if side == 1 else x, (height - y) if side == 3 else y)
                   for x, y in corners]
    cv2.fillPoly(table, [np.array(corners, np.int32)], 1)
    photo[table > 0] = rng.uniform(0.05, 0.3)


def read(classifier: Classifier, image: np.ndarray) -> tuple[list[int], float]:
    """The digits predict reads in the image (reading.read_canvas: the parts found, where the
    shape is unsure the way the model reads best), forced choice, and its time."""
    start = time.perf_counter()
    reading = read_canvas(classifier, image)
    seconds = time.perf_counter() - start
    return [int(part.prediction.digit or 0) for part in reading.digits], seconds


def tally(classifier: Classifier, pages: Sequence[Page], images: Sequence[np.ndarray]) -> Tally:
    digits_right, pages_right, cut_right, seconds = 0, [], [], []
    for page, image in zip(pages, images, strict=True):
        read_as, took = read(classifier, image)
        seconds.append(took)
        cut = len(read_as) == len(page.labels)
        right = sum(a == b for a, b in zip(read_as, page.labels, strict=False)) if cut else 0
        digits_right += right
        pages_right.append(cut and right == len(page.labels))
        cut_right.append(cut)
    return Tally(sum(len(p.labels) for p in pages), digits_right, np.array(pages_right),
                 np.array(cut_right), seconds)


def old_path(classifier: Classifier, pages: Sequence[Page], images: Sequence[np.ndarray]) -> float:
    """Single-digit pages read as before issue #16: the whole image's find_ink."""
    right = []
    for page, image in zip(pages, images, strict=True):
        ink = find_ink(image)
        if len(page.labels) == 1:
            digit = None if ink is None else \
                int(classifier.probabilities(frame_ink(ink)[None])[0].argmax())
            right.append(digit == page.labels[0])
    return float(np.mean(right)) if right else float("nan")


def format_report(pages: Sequence[Page], clean: Tally, photo: Tally, old: float,
                  classifier: Classifier, seed: int) -> str:
    percent = lambda share: f"{100 * share:.2f} %"  # noqa: E731
    lengths = np.array([len(p.labels) for p in pages])
    lines = [
        f"paper-photo benchmark: {len(pages)} pages, {clean.digits} digits (MNIST test digits "
        f"and held-out pen writers {', '.join(map(str, BENCHMARK_WRITERS))}), seed {seed}, "
        f"model {classifier.name} ({classifier.path})",
        f"  digits read right: clean paper {percent(clean.digits_right / clean.digits)}, "
        f"photo {percent(photo.digits_right / photo.digits)} "
        f"(= {percent(photo.digits_right / max(clean.digits_right, 1))} of clean)",
        f"  numbers read exactly: clean {percent(clean.pages_right.mean())}, "
        f"photo {percent(photo.pages_right.mean())} "
        f"(= {percent(photo.pages_right.mean() / max(clean.pages_right.mean(), 1e-9))} of clean)",
        f"  cut into the right number of parts: clean {percent(clean.cut_right.mean())}, "
        f"photo {percent(photo.cut_right.mean())}",
        "  numbers read exactly by length (clean / photo): " + "  ".join(
            f"{n}: {100 * clean.pages_right[lengths == n].mean():.1f} / "
            f"{100 * photo.pages_right[lengths == n].mean():.1f}" for n in LENGTHS),
        f"  single digits on the photos, the old path (find_ink of the whole image): "
        f"{percent(old)}",
        f"  read_canvas (predict's path, model included) on a {PAGE[0]}x{PAGE[1]} photo: "
        f"{percentiles(photo.seconds, '.1f', 'median')}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = parser_for(__doc__)
    parser.add_argument("--count", type=positive_int, default=600, help="pages (default 600)")
    parser.add_argument("--seed", type=non_negative_int, default=SEED,
                        help=f"the pages' seed (default {SEED})")
    add_weights(parser)
    add_data_dir(parser)
    add_pendigits(parser)
    args = parser.parse_args(argv)
    classifier = Classifier.load(args.weights, reject=False)  # the forced choice
    refuse_seen_writers(classifier)
    sources = writers(args.data_dir, args.pendigits)
    rng = np.random.default_rng(args.seed)
    pages = [compose(rng, sources[i % len(sources)], LENGTHS[i % len(LENGTHS)])
             for i in range(args.count)]
    photos = [photograph(rng, page) for page in pages]
    clean = tally(classifier, pages, [clean_paper(page) for page in pages])
    photo = tally(classifier, pages, photos)
    print(format_report(pages, clean, photo, old_path(classifier, pages, photos), classifier,
                        args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
