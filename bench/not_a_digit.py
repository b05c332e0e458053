"""Not-a-digit benchmark: digits kept against non-digits rejected, as the app decides.

Every registered source's benchmark fold (digitnet.data.sources), read by the app's whole path
(bench/judging.py: the canvas transform, the speck test, the model and the reject threshold
stored in its weights). Digits: MNIST's test set (the model and its threshold only), the
unseen writers of pendigits, UNIPEN and CVL, and MNIST test digits redrawn as mouse drawings
(bench/drawn.py). Not digits: UNIPEN's held-out collections' letters and symbols, Quick,
Draw!'s held-out categories, Omniglot's test split, and generated scribbles, zig-zags, crosses,
shapes, blobs, letters, dashes, ticks and dots (digitnet.data.scribbles.BENCHMARK_SCRIBBLES,
whose templates and ranges training does not use). The letters and doodles that can pass for
a digit (O, l, S, circle, line, ...) are never taught either way and are reported apart.
Weights without a threshold (made before models could refuse) are judged at the top
probability that keeps 99 % of MNIST's test digits. `--fold tune` measures the tuning folds
instead, to choose a threshold or a mixture on.

Prints the share kept or rejected of each source, MNIST's accuracy with rejects counted as
errors, which digit the non-digits that pass are read as, and the AUROC of the top
probability; --grid writes the worst cases both ways (digits rejected, non-digits read as
digits) as a PNG.

    python bench/not_a_digit.py --grid docs/not_a_digit/improved.png
    python bench/not_a_digit.py --weights weights/simple.pt --json
"""

from __future__ import annotations

import dataclasses
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import (
    Cell,
    add_data_dir,
    add_fold,
    add_grid,
    add_json,
    add_weights,
    parser_for,
    show,
    write_grid,
)
from drawn import draw_like_a_person
from judging import Readings, lookup_for, read_fold, unseen_fold

from digitnet.common.argtypes import fraction
from digitnet.common.digits import IMAGE_SIZE
from digitnet.common.errors import run_entry_point
from digitnet.data.folds import NOT_A_DIGIT, Canvases, Fold, Scans, Sketches
from digitnet.data.sources import DIGIT_SOURCES, SOURCES, Lookup
from digitnet.model.classifier import Classifier
from digitnet.reading.reject import calibrate

BASELINE_KEEP = 0.99  # of MNIST's test digits, for weights without a threshold
SEED = 15  # the drawings' placement and the drawn digits; training uses other seeds
DRAWN = 2000  # MNIST test digits redrawn as mouse drawings


@dataclass(frozen=True)
class SourceFigures:
    name: str
    is_digit: bool
    n: int
    rejected: float  # share
    accuracy: float | None  # digits: right and not rejected
    passes_as: dict[str, int]  # non-digits: digit -> how many pass as it


@dataclass(frozen=True)
class Figures:
    weights: str
    model: str
    fold: str
    threshold: float
    threshold_from: str  # "weights" or the baseline's rule
    auroc: dict[str, float]  # the top probability, MNIST's digits against each kind of non-digit
    sources: list[SourceFigures]


def judged(classifier: Classifier, mnist_probs: np.ndarray) -> tuple[Classifier, str]:
    """The classifier as the app runs it, or, for weights without a threshold, one with the
    baseline's."""
    if classifier.threshold is not None:
        return classifier, "weights"
    threshold = float(np.quantile(mnist_probs.max(axis=1), 1 - BASELINE_KEEP))
    metadata = dataclasses.replace(classifier.metadata, reject_threshold=threshold)
    info = dataclasses.replace(classifier.info, metadata=metadata)
    rule = f"top probability keeping {100 * BASELINE_KEEP:g} % of MNIST test"
    return Classifier(classifier.model, info, classifier.path, threads=None), rule


def drawn_digits(fold: Fold) -> Fold:
    """MNIST test digits redrawn as a person draws them with the mouse (bench/drawn.py)."""
    rng = np.random.default_rng(SEED)
    assert isinstance(fold.drawn, Scans)
    picked = rng.choice(len(fold), DRAWN, replace=False)
    canvases = [draw_like_a_person(fold.drawn.images[i], rng) for i in picked]
    return dataclasses.replace(fold.take(picked), source="drawn digits",
                               drawn=Canvases(canvases))


def measured_folds(classifier: Classifier, fold: str, lookup: Lookup) -> list[Fold]:
    """Every source's fold, MNIST's first (the scribbles one kind at a time), and at the
    benchmark the drawn digits."""
    digits = [unseen_fold(classifier, name, fold, lookup) for name in DIGIT_SOURCES]
    others = [unseen_fold(classifier, name, fold, lookup) for name in SOURCES
              if name not in DIGIT_SOURCES]
    drawn = [drawn_digits(digits[0])] if fold == "benchmark" else []
    split = []
    for f in [*digits, *drawn, *others]:
        if not isinstance(f.drawn, Sketches):
            split.append(f)
            continue
        split += [dataclasses.replace(f.where(f.groups == k), source=f"{f.source}: {k}")
                  for k in np.unique(f.groups)]
    return split


def auroc(digit_scores: np.ndarray, other_scores: np.ndarray) -> float:
    """P(a random digit scores above a random non-digit), ties counted half (Mann-Whitney U)."""
    others = np.sort(other_scores)
    below = np.searchsorted(others, digit_scores, side="left")
    at_or_below = np.searchsorted(others, digit_scores, side="right")
    return float((below + 0.5 * (at_or_below - below)).sum() / (len(digit_scores) * len(others)))


def figures_of(readings: Readings) -> SourceFigures:
    fold, rejected = readings.fold, readings.rejected
    is_digit = is_digits(readings)
    accuracy = float((readings.right & ~rejected).mean()) if is_digit else None
    passing = Counter(readings.predictions[~rejected].tolist()) if not is_digit else {}
    return SourceFigures(fold.source, is_digit, len(fold), float(rejected.mean()), accuracy,
                         {str(d): c for d, c in sorted(passing.items(), key=lambda p: -p[1])})


def measure(classifier: Classifier, fold: str,
            data_dir: str | None) -> tuple[Figures, list[Readings]]:
    lookup = lookup_for(classifier, data_dir)
    folds = measured_folds(classifier, fold, lookup)
    mnist = read_fold(classifier, folds[0], SEED)
    classifier, rule = judged(classifier, mnist.probs)
    readings = [read_fold(classifier, f, SEED) for f in folds]
    assert classifier.threshold is not None
    top = readings[0].probs.max(axis=1)
    others: dict[str, list[np.ndarray]] = {}
    for r in readings[1:]:
        if (r.fold.labels == NOT_A_DIGIT).all():
            kind = "generated" if r.fold.source.startswith("scribbles") else r.fold.source
            others.setdefault(kind, []).append(r.probs.max(axis=1))
    figures = Figures(str(classifier.path), classifier.name, fold, classifier.threshold, rule,
                      {k: auroc(top, np.concatenate(v)) for k, v in others.items()},
                      [figures_of(r) for r in readings])
    return figures, readings


def format_report(figures: Figures) -> str:
    lines = [f"not-a-digit benchmark ({figures.fold} folds): model {figures.model} "
             f"({figures.weights}), rejecting below top probability {figures.threshold:.4f} "
             f"({figures.threshold_from})",
             "  AUROC of the top probability, MNIST against: "
             + ", ".join(f"{k} {v:.3f}" for k, v in figures.auroc.items())]
    for s in figures.sources:
        share = f"{100 * (1 - s.rejected if s.is_digit else s.rejected):6.2f} % " + (
            "kept" if s.is_digit else "rejected")
        extra = ""
        if s.accuracy is not None:
            extra = f"   accuracy with rejects as errors {100 * s.accuracy:.2f} %"
        elif s.passes_as:
            extra = "   passing as " + ", ".join(f"{d}: {c}" for d, c in
                                                  list(s.passes_as.items())[:4])
        lines.append(f"  {f'{s.name} ({s.n})':34}{share}{extra}")
    return "\n".join(lines)


def is_digits(readings: Readings) -> bool:
    return bool((readings.fold.labels != NOT_A_DIGIT).all())


def sweep(readings: list[Readings], keeps: list[float]) -> str:
    """Other thresholds, as train would calibrate them: for each share, the highest threshold
    that keeps at least that share of every digit source read (the drawn digits aside), and the
    share of each source then kept or rejected (a speck always is)."""
    digits = [r for r in readings if is_digits(r) and r.fold.source != "drawn digits"]
    lines = ["  thresholds that keep at least SHARE of every digit source (% kept of digits, "
             "% rejected of others):"]
    for keep in keeps:
        threshold = min(calibrate(r.probs.max(axis=1), keep) for r in digits)
        shares = []
        for r in readings:
            refused = r.probs.max(axis=1) < threshold
            share = 1 - refused.mean() if is_digits(r) else refused.mean()
            shares.append(f"{r.fold.source} {100 * share:.1f}")
        lines.append(f"  {keep:g} -> {threshold:.4f}: " + ", ".join(shares))
    return "\n".join(lines)


def worst(readings: list[Readings], digits: bool, limit: int, colour: str) -> list[Cell]:
    """Digits rejected, least confident first; or non-digits passed, most confident first."""
    picked = []
    for r in readings:
        fold = r.fold
        if is_digits(r) != digits:
            continue
        top = r.probs.max(axis=1)
        for i in np.flatnonzero(r.rejected if digits else ~r.rejected):
            caption = (f"{fold.labels[i]}: {100 * top[i]:.0f} %\n{fold.source.split()[0]}"
                       if digits else
                       f"\u2192 {r.predictions[i]}: {100 * top[i]:.0f} %\n{fold.names[i][:12]}")
            picked.append((top[i] if digits else -top[i], r.images[i], caption))
    picked.sort(key=lambda p: p[0])
    return [Cell(image.reshape(IMAGE_SIZE, IMAGE_SIZE), caption, colour)
            for _, image, caption in picked[:limit]]


def whole_rows(cells: list[Cell], columns: int) -> list[Cell | None]:
    """The cells, then empty places to the end of their last row (one empty row for none)."""
    return [*cells, *[None] * (max(1, -(-len(cells) // columns)) * columns - len(cells))]


def grid(path: Path, figures: Figures, readings: list[Readings], columns: int = 10) -> Path:
    """The worst cases both ways, as the network saw them."""
    from digitnet.train.reports import ORANGE, RED  # matplotlib: only when a grid is asked for

    rejected = worst(readings, True, 3 * columns, RED)
    passed = worst(readings, False, 3 * columns, ORANGE)
    notes = [f"{figures.model}: rejecting below top probability {figures.threshold:.3f}",
             f"top rows: digits rejected, least confident first ({len(rejected)} shown; "
             "caption: the digit, top probability, source)",
             "bottom rows: non-digits read as digits, most confident first (caption: read as, "
             "top probability, what it is)"]
    cells = whole_rows(rejected, columns) + whole_rows(passed, columns)
    return write_grid(path, "Not a digit: the worst cases", notes, cells, columns, (1.15, 1.6),
                      "gray_r", size=8, pad=3)


def shares(text: str) -> list[float]:
    """'0.99,0.995' -> [0.99, 0.995], each in (0, 1]."""
    return [fraction(share) for share in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    parser = parser_for(__doc__)
    add_weights(parser)
    add_fold(parser)
    add_data_dir(parser)
    add_grid(parser, "write the worst cases here")
    add_json(parser)
    parser.add_argument("--sweep", type=shares, metavar="SHARES", help="also show what the "
                        "thresholds keeping these shares of the digits would do (0.99,0.995)")
    args = parser.parse_args(argv)
    classifier = Classifier.load(args.weights, threads=None)
    figures, readings = measure(classifier, args.fold, args.data_dir)
    show(figures, format_report(figures), args.json)
    if args.sweep:
        print(sweep(readings, args.sweep))
    if args.grid:
        print(f"  worst cases: {grid(args.grid, figures, readings)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
