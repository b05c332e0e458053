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
The layout is the benchmark's own (bench/number_synthesis.py), seeded apart from training's
generators. A number counts only when it is read exactly: every digit, none split, merged,
missed or rejected.

    python bench/written_numbers.py                              # the shipped default model
    python bench/written_numbers.py --count 400 --weights weights/simple.pt
    python bench/written_numbers.py --lengths 2 6 --grid failures.png
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

import cv2
import numpy as np
from common import (
    HANDWRITING_SEED,
    Cell,
    add_data_dir,
    add_grid,
    add_pendigits,
    add_weights,
    parser_for,
    percentiles,
    refuse_seen_writers,
    write_grid,
)
from number_synthesis import GAPS, MNIST, PEN, Case, mnist_cases, pen_cases

from digitnet.common.errors import run_entry_point
from digitnet.data.mnist import load_mnist
from digitnet.data.pendigits import BENCHMARK_WRITERS, PenSample, load_pendigits, writer_folds
from digitnet.data.strokes import APP_STYLE, lay_out
from digitnet.model.classifier import Classifier
from digitnet.reading.grouping import group_strokes
from digitnet.reading.read import read_canvas, read_digit, read_sketch
from digitnet.reading.result import Reading

SEED = 1616  # the benchmark's own: training's generators use other seeds and other code
LENGTHS = (1, 2, 3, 4, 5, 6)
TARGET = 0.97  # exact numbers of 2-6 digits, held-out pen writers, both paths
APP, PREDICT = "app path (strokes -> read_sketch)", "predict path (image -> read_canvas)"
ROUTES = {PEN: (APP, PREDICT), MNIST: (PREDICT,)}  # the paths that read each source

# Why a number was misread (Outcome.failure): more parts than digits, fewer, as many but not
# cut where the digits are (strokes grouped wrong, an image cut wrong), a part rejected as not
# a digit, or every digit found but one read wrong (the model's error).
FAILURES = ("split", "merged", "cut wrong", "rejected", "misread")
KEPT = 2  # misread numbers kept per source, path, failure kind and length as examples
GRID_EXAMPLES = 12  # misread numbers drawn per source and path by --grid


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


def one_digit(classifier: Classifier, image: np.ndarray) -> str | None:
    """What the one-digit path (read_digit, the whole image as one digit, as before
    numbers) reads; a rejected or blank image reads as None."""
    prediction = read_digit(classifier, image).prediction
    return None if prediction.digit is None or prediction.rejected else str(prediction.digit)


def read_case(classifier: Classifier, case: Case, path: str) -> Outcome:
    start = time.perf_counter()
    if path == APP:
        assert case.sketch is not None  # pen numbers only
        reading: Reading = read_sketch(classifier, case.sketch)
    else:
        reading = read_canvas(classifier, case.image)
    seconds = time.perf_counter() - start
    before = one_digit(classifier, case.image) if len(case.truth) == 1 else None
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


def read_all(classifier: Classifier, cases: Iterable[Case], results: Results) -> None:
    """Read every case by every path its source has; keep the first few misread ones of each
    kind and length as examples."""
    for number, case in enumerate(cases, 1):
        for path in ROUTES[case.source]:
            outcome = read_case(classifier, case, path)
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


def heldout_singles(classifier: Classifier, samples: Sequence[PenSample],
                    writers: Sequence[int] = BENCHMARK_WRITERS) -> Singles:
    rng = np.random.default_rng(HANDWRITING_SEED)  # in file order, as real_handwriting.py draws
    rows = []
    for sample in (s for s in samples if s.writer in writers):
        sketch = lay_out(sample.strokes, rng, APP_STYLE)
        canvas = sketch.render()
        guess = read_digit(classifier, canvas, invert=False).prediction
        rows.append((str(sample.label), str(guess.digit),
                     None if guess.rejected else str(guess.digit),
                     read_sketch(classifier, sketch).number,
                     read_canvas(classifier, 255 - canvas).number))
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
    lines = [
        "    exact number by length: " + "   ".join(
            f"{n}: {share([o.right for o in outcomes if len(o.truth) == n])}" for n in lengths),
        f"    2-6 digits: {share([o.right for o in numbers])} of {len(numbers)}{verdict}",
        "    2-6 digits by gap: " + "   ".join(
            f"{b}: {share([o.right for o in numbers if o.bucket == b])}" for b in GAPS),
        f"    misread {len(wrong)} of {len(outcomes)}: {kinds}; "
        f"reading takes {percentiles([o.seconds for o in outcomes], '.1f')}",
    ]
    singles = [o for o in outcomes if len(o.truth) == 1]
    if singles:
        lines.append(f"    single digits: {share([o.right for o in singles])} of {len(singles)}; "
                     "the one-digit path (read_digit, as before numbers) on the same images "
                     f"{share([o.before == o.truth for o in singles])}, the same answer in "
                     f"{sum(o.before == o.read for o in singles)}")
    return lines


def example_line(outcome: Outcome) -> str:
    return (f"      {outcome.truth} -> {outcome.read or 'none'}: {outcome.failure} "
            f"({outcome.parts} parts), {outcome.bucket}, {outcome.origin}")


def singles_lines(singles: Singles) -> list[str]:
    return [
        f"single digits, the writers' {singles.n} digits drawn as bench/real_handwriting.py does:",
        f"    one-digit path (read_digit, as before numbers): {100 * singles.best_guess:.2f} "
        f"% (real_handwriting.py's figure), {100 * singles.one_digit:.2f} % with rejects as errors",
        f"    app path {100 * singles.app:.2f} %, predict path {100 * singles.predict:.2f} %; "
        f"the app path reads {singles.agree} of {singles.n} as the one-digit path does",
    ]


def format_report(results: Results, args: argparse.Namespace, classifier: Classifier,
                  singles: Singles | None) -> str:
    gaps = ", ".join(f"{b} {low:g} to {high:g}" for b, (low, high) in GAPS.items())
    lines = [f"numbers benchmark: model {classifier.name} ({classifier.path}), seed {args.seed}, "
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


def grid(path: Path, examples: Sequence[tuple[Outcome, np.ndarray]]) -> Path:
    """The misread numbers as the paths saw them, captioned true -> read."""
    examples = [e for source, paths in ROUTES.items() for path in paths
                for e in pick_examples(examples, source, path, GRID_EXAMPLES)]
    notes = [f"{len(examples)} misread numbers, at most {GRID_EXAMPLES} per source and path, "
             "the kinds of failure taking turns"]
    cells = [Cell(image, f"{o.truth} \u2192 {o.read or 'none'} "
                         f"({'app' if o.path == APP else 'predict'}, {o.failure}, {o.bucket}, "
                         f"{o.origin})") for o, image in examples]
    return write_grid(path, "Misread numbers", notes, cells, 2, (6, 1.4), "gray", size=9)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = parser_for(__doc__)
    add_weights(parser)
    parser.add_argument("--count", type=int, default=100,
                        help="numbers of each length from each source (default 100)")
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS),
                        metavar="N", help="numbers of these many digits (default 1 to 6)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--examples", type=int, default=5,
                        help="misread numbers printed per source and path")
    add_pendigits(parser)
    add_data_dir(parser)
    add_grid(parser, "draw the misread numbers here")
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
    args.lengths = sorted(set(args.lengths))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    classifier = Classifier.load(args.weights)
    writers = writer_folds()[args.fold].heldout
    refuse_seen_writers(classifier, writers)
    samples = load_pendigits(args.pendigits)
    results = Results([], [])
    read_all(classifier, pen_cases(samples, args.lengths, args.count, args.seed, writers), results)
    if args.fold == 0:  # MNIST names no writers: its test digits are the benchmark's alone
        images, labels = load_mnist("test", args.data_dir)
        read_all(classifier, mnist_cases(images, labels, args.lengths, args.count, args.seed),
                 results)
    singles = heldout_singles(classifier, samples, writers) if 1 in args.lengths else None
    print(format_report(results, args, classifier, singles))
    if args.grid:
        print(f"  grid of misread numbers: {grid(args.grid, results.examples)}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
