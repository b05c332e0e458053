"""Real-handwriting benchmark: pen digits by writers a model never saw, read by the app's path.

The 6 held-out writers of pendigits-orig.tra (digitnet.pendigits.BENCHMARK_WRITERS, 1,499
digits) are drawn in one fixed way, as a person draws in the app's default window
(digitnet.strokes.APP_STYLE): a 492-pixel canvas, the app's default brush, each digit
45-75 % of the canvas high somewhere on it (seeded), in the writer's own shape and slant.
Each canvas then goes through the app's path: the canvas transform, then the model
(Recognizer.classify_canvas). Weights whose metadata says they learnt from any of these
writers are refused: their figure would not measure unseen writers.

    python bench/real_handwriting.py                                    # the shipped default model
    python bench/real_handwriting.py --weights weights/simple.pt --json
    python bench/real_handwriting.py --grid docs/real_handwriting/improved_errors.png
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from digitnet import DigitnetError
from digitnet.digits import NUM_CLASSES
from digitnet.errors import run_entry_point
from digitnet.evaluate import confusion_matrix, per_class_accuracy, top_confusions
from digitnet.pendigits import (
    BENCHMARK_WRITERS,
    PenSample,
    load_pendigits,
    seen_benchmark_writers,
)
from digitnet.preprocess import to_mnist
from digitnet.recognizer import Recognizer
from digitnet.strokes import APP_STYLE, lay_out

SEED = 0  # where and how large each digit is drawn; fixed, so every run draws the same canvases
FLAG_WIDTH = 0.25  # a 1 at least this wide for its height has a flag (or a foot)


@dataclass(frozen=True)
class Readings:
    """What the app's path made of each held-out digit."""

    samples: list[PenSample]
    numbers: np.ndarray  # each sample's position in the file, 0-based
    images: np.ndarray  # float32 [N, 28, 28]: the network's input
    probs: np.ndarray  # float32 [N, 10]

    @property
    def labels(self) -> np.ndarray:
        return np.array([s.label for s in self.samples])

    @property
    def predictions(self) -> np.ndarray:
        return self.probs.argmax(axis=1)


@dataclass(frozen=True)
class Result:
    weights: str
    model: str
    writers: list[int]
    n: int
    accuracy: float
    per_class: dict[str, float]
    per_writer: dict[str, float]
    flagged_ones: dict[str, float]  # n and accuracy of the 1s with a flag or a foot
    top_confusions: list[dict[str, int]]
    mean_confidence_of_errors: float
    mean_confidence_when_right: float


def read_heldout(recognizer: Recognizer, samples: list[PenSample], seed: int) -> Readings:
    """Draw each held-out sample on the app's canvas and read it as the app does."""
    numbers = np.array([i for i, s in enumerate(samples) if s.writer in BENCHMARK_WRITERS])
    if len(numbers) == 0:
        raise DigitnetError(f"the file has none of the benchmark's writers {BENCHMARK_WRITERS}")
    rng = np.random.default_rng(seed)
    held = [samples[i] for i in numbers]
    images, probs = [], []
    for sample in held:
        canvas = lay_out(sample.strokes, rng, APP_STYLE).render()
        probs.append(recognizer.classify_canvas(canvas, invert=False).probs)
        image = to_mnist(canvas, invert=False)  # for the error grid; a pen sample is never blank
        assert image is not None
        images.append(image)
    return Readings(held, numbers, np.stack(images), np.array(probs, np.float32))


def is_flagged_one(sample: PenSample) -> bool:
    points = np.concatenate(sample.strokes)
    width, height = np.ptp(points, axis=0)
    return sample.label == 1 and width >= FLAG_WIDTH * height


def summarize(readings: Readings, recognizer: Recognizer) -> Result:
    labels, predictions = readings.labels, readings.predictions
    right = labels == predictions
    confidence = readings.probs.max(axis=1)
    confusion = confusion_matrix(labels, predictions, NUM_CLASSES)
    writers = np.array([s.writer for s in readings.samples])
    flagged = np.array([is_flagged_one(s) for s in readings.samples])
    return Result(
        weights=str(recognizer.path),
        model=recognizer.name,
        writers=list(BENCHMARK_WRITERS),
        n=len(labels),
        accuracy=float(right.mean()),
        per_class={str(d): float(a) for d, a in enumerate(per_class_accuracy(confusion))},
        per_writer={str(w): float(right[writers == w].mean()) for w in BENCHMARK_WRITERS},
        flagged_ones={"n": int(flagged.sum()), "accuracy": float(right[flagged].mean())},
        top_confusions=[{"true": t, "read": p, "count": c}
                        for t, p, c in top_confusions(confusion)],
        mean_confidence_of_errors=float(confidence[~right].mean()) if (~right).any() else 0.0,
        mean_confidence_when_right=float(confidence[right].mean()),
    )


def format_report(result: Result) -> str:
    percent = lambda share: f"{100 * share:.2f} %"  # noqa: E731
    return "\n".join([
        f"real-handwriting benchmark: {result.n} pen digits by held-out writers "
        f"{', '.join(map(str, result.writers))}, model {result.model} ({result.weights})",
        f"  app path (canvas transform + model): {percent(result.accuracy)}",
        "  per class: " + "  ".join(f"{d}: {100 * a:.1f}" for d, a in result.per_class.items()),
        "  per writer: " + "  ".join(f"{w}: {100 * a:.1f}" for w, a in result.per_writer.items()),
        f"  1s with a flag or a foot: {percent(result.flagged_ones['accuracy'])} "
        f"of {result.flagged_ones['n']}",
        "  top confusions (true -> read: count): "
        + ", ".join(f"{c['true']}->{c['read']}: {c['count']}" for c in result.top_confusions),
        f"  mean confidence: {percent(result.mean_confidence_of_errors)} when wrong, "
        f"{percent(result.mean_confidence_when_right)} when right",
    ])


def write_grid(path: Path, readings: Readings, result: Result) -> Path:
    """The misread digits, most confident first: what the network saw, captioned true -> read."""
    from digitnet import reports  # matplotlib: only when a grid is asked for

    wrong = np.flatnonzero(readings.labels != readings.predictions)
    wrong = wrong[np.argsort(-readings.probs[wrong].max(axis=1), kind="stable")]
    subject = (f"{result.model}: {result.n - len(wrong)} of {result.n} pen digits by unseen "
               "writers read right; # = the sample's number in pendigits-orig.tra")
    figure = reports.misclassified_grid(
        np.round(readings.images[wrong] * 255).astype(np.uint8), readings.labels[wrong],
        readings.predictions[wrong], readings.probs[wrong].max(axis=1), readings.numbers[wrong],
        subject)
    return reports.save_figure(path, figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", help="weights file (default: the best shipped model)")
    parser.add_argument("--pendigits", help="pendigits-orig.tra (default: $DIGITNET_PENDIGITS, "
                        "else pendigits/ beside the MNIST folder)")
    parser.add_argument("--grid", type=Path, metavar="PNG", help="write the error grid here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.grid and args.grid.suffix.lower() != ".png":
        parser.error(f"--grid takes a .png path, got {args.grid}")
    recognizer = Recognizer.load(args.weights)
    seen = seen_benchmark_writers(recognizer.metadata.learned_from)
    if seen:
        raise DigitnetError(f"{recognizer.path} learned from the benchmark's writers "
                            f"{', '.join(map(str, seen))}: it cannot be measured on unseen writers")
    readings = read_heldout(recognizer, load_pendigits(args.pendigits), SEED)
    result = summarize(readings, recognizer)
    print(json.dumps(asdict(result)) if args.json else format_report(result))
    if args.grid:
        print(f"  error grid: {write_grid(args.grid, readings, result)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
