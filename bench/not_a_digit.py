"""Not-a-digit benchmark: digits kept against non-digits rejected, as the app decides.

Digits: MNIST's test set (28x28 already: the model and its threshold only), the held-out pen
writers' digits (drawn as in bench/real_handwriting.py) and MNIST test digits redrawn as mouse
drawings (digitnet.drawn, as in bench/drawn_digits.py). Not digits: Omniglot's test split and
generated scribbles, zig-zags, crosses, shapes, blobs, letters, dashes, ticks and dots
(digitnet.scribbles.BENCHMARK_SCRIBBLES, whose templates and ranges training does not use).
Every drawing is put on a canvas as a person draws in the app (digitnet.strokes.APP_STYLE) and
read by the app's whole path (Recognizer.read: the canvas transform, the speck test, the model
and the reject threshold stored in its weights). Weights without a threshold (made before
models could refuse) are judged at the top probability that keeps 99 % of MNIST's test digits.

Prints the share kept or rejected of each source, MNIST's accuracy with rejects counted as
errors, which digit the non-digits that pass are read as, and the AUROC of the top
probability; --grid writes the worst cases both ways (digits rejected, non-digits read as
digits) as a PNG.

    python bench/not_a_digit.py --data-dir ../shared/data/mnist --grid docs/not_a_digit/improved.png
    python bench/not_a_digit.py --weights weights/simple.pt --json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from digitnet.data import load_mnist
from digitnet.digits import IMAGE_SIZE
from digitnet.drawn import draw_like_a_person
from digitnet.errors import run_entry_point
from digitnet.omniglot import load_omniglot
from digitnet.pendigits import BENCHMARK_WRITERS, load_pendigits, of_writers
from digitnet.recognizer import Recognizer
from digitnet.scribbles import BENCHMARK_SCRIBBLES, KINDS, generate_non_digits
from digitnet.strokes import APP_STYLE, lay_out

BASELINE_KEEP = 0.99  # of MNIST's test digits, for weights without a threshold
SEED = 15  # the drawings' placement and the generated non-digits; training must use other seeds
SCRIBBLES_PER_KIND = 200
DRAWN = 2000  # MNIST test digits redrawn as mouse drawings
BATCH = 500


@dataclass(frozen=True)
class Source:
    """What the app's path made of one source's drawings."""

    name: str
    is_digit: bool
    images: np.ndarray  # uint8 [N, 28, 28]: what the network saw
    probs: np.ndarray  # float32 [N, 10]; all zero for a speck (the model is not asked)
    rejected: np.ndarray  # bool [N]
    labels: np.ndarray | None = None  # digits only


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
    threshold: float
    threshold_from: str  # "weights" or the baseline's rule
    auroc_omniglot: float
    auroc_generated: float
    sources: list[SourceFigures]


def judged(recognizer: Recognizer, mnist_probs: np.ndarray) -> tuple[Recognizer, str]:
    """The recognizer as the app runs it, or, for weights without a threshold, one with the
    baseline's."""
    if recognizer.threshold is not None:
        return recognizer, "weights"
    threshold = float(np.quantile(mnist_probs.max(axis=1), 1 - BASELINE_KEEP))
    metadata = dataclasses.replace(recognizer.metadata, reject_threshold=threshold)
    info = dataclasses.replace(recognizer.info, metadata=metadata)
    rule = f"top probability keeping {100 * BASELINE_KEEP:g} % of MNIST test"
    return Recognizer(recognizer.model, info, recognizer.path, threads=None), rule


def probabilities(recognizer: Recognizer, images: np.ndarray) -> np.ndarray:
    """uint8 images [N, 28, 28] -> probabilities [N, 10], a batch at a time."""
    return np.concatenate([recognizer.probabilities(images[i : i + BATCH] / 255.0)
                           for i in range(0, len(images), BATCH)])


def read_canvases(recognizer: Recognizer, name: str, canvases: Iterable[np.ndarray],
                  labels: np.ndarray | None = None) -> Source:
    """Canvases through the app's whole path."""
    images, probs, rejected = [], [], []
    for canvas in canvases:
        image, prediction = recognizer.read(canvas)
        blank = np.zeros((IMAGE_SIZE, IMAGE_SIZE))
        images.append(np.round(255 * (blank if image is None else image)).astype(np.uint8))
        probs.append(prediction.probs)
        rejected.append(prediction.rejected)
    return Source(name, labels is not None, np.stack(images), np.array(probs, np.float32),
                  np.array(rejected), labels)


def drawn_sources(recognizer: Recognizer, test: tuple[np.ndarray, np.ndarray]) -> list[Source]:
    """The held-out pen writers' digits and MNIST test digits redrawn, on canvases."""
    rng = np.random.default_rng(SEED)
    held_out = of_writers(load_pendigits(), BENCHMARK_WRITERS)
    pen = read_canvases(recognizer, "held-out pen writers",
                        (lay_out(s.strokes, rng, APP_STYLE).render() for s in held_out),
                        np.array([s.label for s in held_out]))
    images, labels = test
    picked = rng.choice(len(images), DRAWN, replace=False)
    drawn = read_canvases(recognizer, "drawn digits",
                          (draw_like_a_person(images[i], rng) for i in picked), labels[picked])
    return [pen, drawn]


def non_digit_sources(recognizer: Recognizer) -> list[Source]:
    """Omniglot's test split, and the generated non-digits by kind, on canvases."""
    rng = np.random.default_rng(SEED)
    omniglot = (lay_out(d, rng, APP_STYLE).render() for d in load_omniglot("test"))
    sources = [read_canvases(recognizer, "Omniglot test", omniglot)]
    generated = generate_non_digits(SCRIBBLES_PER_KIND * len(KINDS), SEED, BENCHMARK_SCRIBBLES)
    for kind in KINDS:
        sketches = (g.sketch.render() for g in generated if g.kind == kind)
        sources.append(read_canvases(recognizer, f"generated {kind}", sketches))
    return sources


def auroc(digit_scores: np.ndarray, other_scores: np.ndarray) -> float:
    """P(a random digit scores above a random non-digit), ties counted half (Mann-Whitney U)."""
    others = np.sort(other_scores)
    below = np.searchsorted(others, digit_scores, side="left")
    at_or_below = np.searchsorted(others, digit_scores, side="right")
    return float((below + 0.5 * (at_or_below - below)).sum() / (len(digit_scores) * len(others)))


def figures_of(source: Source) -> SourceFigures:
    predictions = source.probs.argmax(axis=1)
    accuracy = None
    if source.labels is not None:
        accuracy = float(((predictions == source.labels) & ~source.rejected).mean())
    passing = Counter(predictions[~source.rejected].tolist()) if not source.is_digit else {}
    return SourceFigures(source.name, source.is_digit, len(source.rejected),
                         float(source.rejected.mean()), accuracy,
                         {str(d): c for d, c in sorted(passing.items(), key=lambda p: -p[1])})


def measure(recognizer: Recognizer, data_dir: str | None) -> tuple[Figures, list[Source]]:
    images, labels = test = load_mnist("test", data_dir)
    probs = probabilities(recognizer, images)
    recognizer, rule = judged(recognizer, probs)
    assert recognizer.threshold is not None
    top = probs.max(axis=1)
    mnist = Source("MNIST test", True, images, probs, top < recognizer.threshold, labels)
    others = non_digit_sources(recognizer)
    sources = [mnist, *drawn_sources(recognizer, test), *others]
    generated = np.concatenate([s.probs for s in others if s.name.startswith("generated")])
    figures = Figures(str(recognizer.path), recognizer.name, recognizer.threshold, rule,
                      auroc(top, others[0].probs.max(axis=1)), auroc(top, generated.max(axis=1)),
                      [figures_of(s) for s in sources])
    return figures, sources


def format_report(figures: Figures) -> str:
    lines = [f"not-a-digit benchmark: model {figures.model} ({figures.weights}), rejecting below "
             f"top probability {figures.threshold:.4f} ({figures.threshold_from})",
             f"  AUROC of the top probability, MNIST test against: Omniglot test "
             f"{figures.auroc_omniglot:.3f}, generated {figures.auroc_generated:.3f}"]
    for s in figures.sources:
        share = f"{100 * (1 - s.rejected if s.is_digit else s.rejected):6.2f} % " + (
            "kept" if s.is_digit else "rejected")
        extra = ""
        if s.accuracy is not None:
            extra = f"   accuracy with rejects as errors {100 * s.accuracy:.2f} %"
        elif s.passes_as:
            extra = "   passing as " + ", ".join(f"{d}: {c}" for d, c in
                                                  list(s.passes_as.items())[:4])
        lines.append(f"  {f'{s.name} ({s.n})':32}{share}{extra}")
    return "\n".join(lines)


def worst(sources: list[Source], digits: bool, limit: int) -> tuple[np.ndarray, list[str]]:
    """Digits rejected, least confident first; or non-digits passed, most confident first."""
    picked = []
    for s in sources:
        if s.is_digit != digits:
            continue
        top, predictions = s.probs.max(axis=1), s.probs.argmax(axis=1)
        kind = s.name.removeprefix("generated ").removesuffix(" test")
        for i in np.flatnonzero(s.rejected if digits else ~s.rejected):
            caption = (f"{s.labels[i]}: {100 * top[i]:.0f} %\n{s.name.split()[0]}"
                       if s.labels is not None
                       else f"\u2192 {predictions[i]}: {100 * top[i]:.0f} %\n{kind}")
            picked.append((top[i] if digits else -top[i], s.images[i], caption))
    picked.sort(key=lambda p: p[0])
    picked = picked[:limit]
    images = np.array([p[1] for p in picked]).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    return images, [p[2] for p in picked]


def write_grid(path: Path, figures: Figures, sources: list[Source], columns: int = 10) -> Path:
    """The worst cases both ways, as the network saw them."""
    from digitnet import reports  # matplotlib: only when a grid is asked for

    rejected, rejected_captions = worst(sources, True, 3 * columns)
    passed, passed_captions = worst(sources, False, 3 * columns)
    rows = max(1, -(-len(rejected) // columns)) + max(1, -(-len(passed) // columns))
    notes = [f"{figures.model}: rejecting below top probability {figures.threshold:.3f}",
             f"top rows: digits rejected, least confident first ({len(rejected)} shown; "
             "caption: the digit, top probability, source)",
             "bottom rows: non-digits read as digits, most confident first (caption: read as, "
             "top probability, kind)"]
    fig, axes = reports.figure("Not a digit: the worst cases", notes, columns * 1.15,
                               rows * 1.6, rows, columns)
    cells = list(np.ravel(axes))
    split = max(1, -(-len(rejected) // columns)) * columns
    for ax in cells:
        ax.axis("off")
    for start, images, captions, colour in ((0, rejected, rejected_captions, reports.RED),
                                            (split, passed, passed_captions, reports.ORANGE)):
        for k, (image, caption) in enumerate(zip(images, captions, strict=True)):
            cells[start + k].imshow(image, cmap="gray_r", vmin=0, vmax=255)
            cells[start + k].set_title(caption, color=colour, size=8, pad=3)
    return reports.save_figure(path, fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", help="weights file (default: the best shipped model)")
    parser.add_argument("--data-dir", help="folder with the MNIST .gz files")
    parser.add_argument("--grid", type=Path, metavar="PNG", help="write the worst cases here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.grid and args.grid.suffix.lower() != ".png":
        parser.error(f"--grid takes a .png path, got {args.grid}")
    figures, sources = measure(Recognizer.load(args.weights, threads=None), args.data_dir)
    print(json.dumps(asdict(figures)) if args.json else format_report(figures))
    if args.grid:
        print(f"  worst cases: {write_grid(args.grid, figures, sources)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
