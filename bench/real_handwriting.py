"""Real-handwriting benchmark: digits by writers a model never saw, source by source.

Every registered digit source (digitnet.data.sources) but MNIST: pendigits' benchmark writers
(fold 0 of its writer folds: writers 5, 6, 8, 15, 21, 27), UNIPEN's held-out collections
(CEDAR's and Montreal's: cea, ceb, ced, uqb) and CVL's validation writers. Pen digits are
drawn as a person draws in the app's default window and read by the app's path; CVL's scans
are read as `predict` reads paper (bench/judging.py). Weights that learned from any writer or
collection of a fold are refused. `--fold tune` measures the tuning folds instead: those are
for choosing (a mixture, a schedule); the benchmark folds are reported once, never used to
choose.

Per source: accuracy of the model's reading (its top digit, whether or not the threshold
keeps it), the share kept, per class, the weakest writer, 1s with a flag or a foot (pen
sources), the most frequent confusions and the confidence of the errors.

    python bench/real_handwriting.py                                    # the shipped default model
    python bench/real_handwriting.py --weights weights/simple.pt --json
    python bench/real_handwriting.py --grid docs/real_handwriting/improved_errors.png
    python bench/real_handwriting.py --weights runs/try/simple.pt --fold tune
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import (
    HANDWRITING_SEED,
    add_data_dir,
    add_fold,
    add_grid,
    add_json,
    add_weights,
    parser_for,
    show,
)
from judging import Readings, lookup_for, read_fold, unseen_fold

from digitnet.common.digits import NUM_CLASSES
from digitnet.common.errors import run_entry_point
from digitnet.data.folds import Trajectories
from digitnet.data.sources import DIGIT_SOURCES, SOURCES
from digitnet.model.classifier import Classifier
from digitnet.train.evaluate import confusion_matrix, per_class_accuracy, top_confusions

MEASURED = tuple(name for name in DIGIT_SOURCES if name != "mnist")
FLAG_WIDTH = 0.25  # a 1 at least this wide for its height has a flag (or a foot)


@dataclass(frozen=True)
class Result:
    source: str
    fold: str
    n: int
    writers: int
    accuracy: float
    kept: float
    per_class: dict[str, float]
    weakest_writer: dict[str, float | str]
    flagged_ones: dict[str, float] | None  # n and accuracy of the 1s with a flag or a foot
    top_confusions: list[dict[str, int]]
    mean_confidence_of_errors: float


def flagged_ones(readings: Readings) -> np.ndarray:
    """bool [N]: pen 1s at least FLAG_WIDTH as wide as high."""
    fold = readings.fold
    flagged = np.zeros(len(fold), bool)
    if isinstance(fold.drawn, Trajectories):
        for i in np.flatnonzero(fold.labels == 1):
            width, height = np.ptp(np.concatenate(fold.drawn.strokes[int(i)]), axis=0)
            flagged[i] = width >= FLAG_WIDTH * height
    return flagged


def summarize(readings: Readings) -> Result:
    fold, right = readings.fold, readings.right
    confusion = confusion_matrix(fold.labels, readings.predictions, NUM_CLASSES)
    writers = {g: float(right[fold.groups == g].mean()) for g in np.unique(fold.groups)}
    weakest = min(writers, key=lambda g: writers[g])
    flagged = flagged_ones(readings)
    confidence = readings.probs.max(axis=1)
    return Result(
        source=fold.source, fold=fold.fold, n=len(fold), writers=len(writers),
        accuracy=float(right.mean()), kept=float(1 - readings.rejected.mean()),
        per_class={str(d): float(a) for d, a in enumerate(per_class_accuracy(confusion))},
        weakest_writer={"writer": weakest, "accuracy": writers[weakest]},
        flagged_ones={"n": int(flagged.sum()), "accuracy": float(right[flagged].mean())}
        if flagged.any() else None,
        top_confusions=[{"true": t, "read": p, "count": c}
                        for t, p, c in top_confusions(confusion)],
        mean_confidence_of_errors=float(confidence[~right].mean()) if (~right).any() else 0.0,
    )


def format_report(results: list[Result], classifier: Classifier) -> str:
    lines = [f"real-handwriting benchmark, {results[0].fold} folds: model {classifier.name} "
             f"({classifier.path})"]
    for r in results:
        lines += [
            f"  {SOURCES[r.source].title} ({r.n} digits, {r.writers} writers): "
            f"{100 * r.accuracy:.2f} %, "
            f"kept {100 * r.kept:.2f} %",
            "    per class: " + "  ".join(f"{d}: {100 * a:.1f}" for d, a in r.per_class.items()),
            f"    weakest writer {r.weakest_writer['writer']}: "
            f"{100 * float(r.weakest_writer['accuracy']):.1f} %"
            + (f"; 1s with a flag or a foot: {100 * r.flagged_ones['accuracy']:.1f} % of "
               f"{r.flagged_ones['n']:.0f}" if r.flagged_ones else ""),
            "    top confusions (true -> read: count): "
            + ", ".join(f"{c['true']}->{c['read']}: {c['count']}" for c in r.top_confusions)
            + f"; mean confidence of errors {100 * r.mean_confidence_of_errors:.1f} %",
        ]
    return "\n".join(lines)


def write_grid(path: Path, readings: list[Readings], classifier: Classifier) -> Path:
    """The misread digits of every source, most confident first: what the network saw,
    captioned true -> read, with the source's item number."""
    from digitnet.train import reports  # matplotlib: only when a grid is asked for

    wrong = [(r, i) for r in readings for i in np.flatnonzero(~r.right)]
    wrong.sort(key=lambda item: -item[0].probs[item[1]].max())
    total = sum(len(r.fold) for r in readings)
    subject = (f"{classifier.name}: {total - len(wrong)} of {total} digits by unseen writers "
               f"read right ({', '.join(r.fold.source for r in readings)}); # = the fold's item")
    pick = lambda key: np.array([key(r, i) for r, i in wrong])  # noqa: E731
    figure = reports.misclassified_grid(
        pick(lambda r, i: r.images[i]).reshape(-1, 28, 28), pick(lambda r, i: r.fold.labels[i]),
        pick(lambda r, i: r.predictions[i]), pick(lambda r, i: r.probs[i].max()),
        pick(lambda r, i: i), subject)
    return reports.save_figure(path, figure)


def main(argv: list[str] | None = None) -> int:
    parser = parser_for(__doc__)
    add_weights(parser)
    parser.add_argument("--source", choices=MEASURED, action="append",
                        help="a source to measure (repeatable; default: all of them)")
    add_fold(parser)
    add_data_dir(parser)
    add_grid(parser, "write the error grid here")
    add_json(parser)
    args = parser.parse_args(argv)
    classifier = Classifier.load(args.weights, threads=None)
    lookup = lookup_for(classifier, args.data_dir)
    folds = [unseen_fold(classifier, name, args.fold, lookup) for name in args.source or MEASURED]
    readings = [read_fold(classifier, fold, HANDWRITING_SEED) for fold in folds]
    results = [summarize(r) for r in readings]
    show(results, format_report(results, classifier), args.json)
    if args.grid:
        print(f"  error grid: {write_grid(args.grid, readings, classifier)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
