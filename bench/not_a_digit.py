"""Not-a-digit benchmark: how well the model's top probability tells digits from everything else.

A model that only knows digits can still refuse a drawing whose best probability is low.
For thresholds that keep 99 % and 99.5 % of MNIST's test digits, this prints the share kept
of the held-out pen writers' digits (drawn as in bench/real_handwriting.py) and the share
rejected of things that are not digits: Omniglot's test split and generated scribbles,
specks and letters (digitnet.scribbles.BENCHMARK_SCRIBBLES, whose templates and ranges
training does not use), each drawn as a person draws in the app (digitnet.strokes.APP_STYLE)
and read through the app's canvas transform; and which digit the non-digits that pass are
read as. AUROC: the chance that a random digit scores above a random non-digit.

    python bench/not_a_digit.py --data-dir ../shared/data/mnist
    python bench/not_a_digit.py --weights weights/simple.pt --json
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np

from digitnet.data import load_mnist
from digitnet.errors import run_entry_point
from digitnet.omniglot import load_omniglot
from digitnet.pendigits import BENCHMARK_WRITERS, load_pendigits, of_writers
from digitnet.recognizer import Recognizer
from digitnet.scribbles import BENCHMARK_SCRIBBLES, KINDS, generate_non_digits
from digitnet.strokes import APP_STYLE, render_all, to_images

KEEP = (0.99, 0.995)  # shares of MNIST test digits the thresholds keep
SEED = 15  # the drawings' placement and the generated non-digits; training must use other seeds
SCRIBBLES_PER_KIND = 200
BATCH = 500


@dataclass(frozen=True)
class SourceFigures:
    name: str
    is_digit: bool
    n: int
    passed: list[float]  # share whose top probability reaches each threshold
    passes_as: dict[str, int]  # at the first threshold: digit -> how many non-digits read as it


@dataclass(frozen=True)
class Figures:
    weights: str
    model: str
    keep: list[float]
    thresholds: list[float]
    auroc_omniglot: float
    auroc_scribbles: float
    sources: list[SourceFigures]


def probabilities(recognizer: Recognizer, images: np.ndarray) -> np.ndarray:
    """uint8 images [N, 28, 28] -> probabilities [N, 10], a batch at a time."""
    batches = [images[i : i + BATCH].astype(np.float32) / 255 for i in range(0, len(images), BATCH)]
    return np.concatenate([recognizer.probabilities(b) for b in batches])


def auroc(digit_scores: np.ndarray, other_scores: np.ndarray) -> float:
    """P(a random digit scores above a random non-digit), ties counted half (Mann-Whitney U)."""
    others = np.sort(other_scores)
    below = np.searchsorted(others, digit_scores, side="left")
    at_or_below = np.searchsorted(others, digit_scores, side="right")
    return float((below + 0.5 * (at_or_below - below)).sum() / (len(digit_scores) * len(others)))


def source(name: str, is_digit: bool, probs: np.ndarray, thresholds: list[float]) -> SourceFigures:
    top = probs.max(axis=1)
    passing = probs[top >= thresholds[0]].argmax(axis=1)
    return SourceFigures(
        name, is_digit, len(probs), [float((top >= t).mean()) for t in thresholds],
        {} if is_digit else {str(d): c for d, c in Counter(passing.tolist()).most_common()})


def non_digit_images() -> dict[str, np.ndarray]:
    """Omniglot's test split, and the generated non-digits by kind, drawn the app's way."""
    images = {"omniglot test": render_all(load_omniglot("test"), APP_STYLE, SEED)}
    generated = generate_non_digits(SCRIBBLES_PER_KIND * len(KINDS), SEED, BENCHMARK_SCRIBBLES)
    for kind in KINDS:
        images[f"generated {kind}"] = to_images(g.sketch for g in generated if g.kind == kind)
    return images


def measure(recognizer: Recognizer, data_dir: str | None) -> Figures:
    mnist = probabilities(recognizer, load_mnist("test", data_dir)[0])
    thresholds = [float(np.quantile(mnist.max(axis=1), 1 - keep)) for keep in KEEP]
    held_out = of_writers(load_pendigits(), BENCHMARK_WRITERS)
    pen = probabilities(recognizer, render_all([s.strokes for s in held_out], APP_STYLE, SEED))
    sources = [source("MNIST test", True, mnist, thresholds),
               source("held-out pen writers", True, pen, thresholds)]
    others = {name: probabilities(recognizer, im) for name, im in non_digit_images().items()}
    sources += [source(name, False, probs, thresholds) for name, probs in others.items()]
    scribbles = np.concatenate([p for name, p in others.items() if name.startswith("generated")])
    return Figures(str(recognizer.path), recognizer.name, list(KEEP), thresholds,
                   auroc(mnist.max(axis=1), others["omniglot test"].max(axis=1)),
                   auroc(mnist.max(axis=1), scribbles.max(axis=1)), sources)


def format_report(figures: Figures) -> str:
    columns = "".join(f"{f'{100 * k:.1f} % kept (p >= {t:.3f})':>28}"
                      for k, t in zip(figures.keep, figures.thresholds, strict=True))
    lines = [f"not-a-digit benchmark by top probability: model {figures.model} ({figures.weights})",
             f"  AUROC, MNIST test against: Omniglot test {figures.auroc_omniglot:.3f}, "
             f"generated {figures.auroc_scribbles:.3f}",
             f"  {'':30}{columns}"]
    for s in figures.sources:
        verb = "kept" if s.is_digit else "rejected"
        shares = "".join(f"{f'{100 * (p if s.is_digit else 1 - p):.1f} % {verb}':>28}"
                         for p in s.passed)
        passing = list(s.passes_as.items())[:4]
        passes = "   passing as " + ", ".join(f"{d}: {c}" for d, c in passing) if passing else ""
        lines.append(f"  {f'{s.name} ({s.n})':30}{shares}{passes}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", help="weights file (default: the best shipped model)")
    parser.add_argument("--data-dir", help="folder with the MNIST .gz files")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    figures = measure(Recognizer.load(args.weights, threads=None), args.data_dir)
    print(json.dumps(asdict(figures)) if args.json else format_report(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
