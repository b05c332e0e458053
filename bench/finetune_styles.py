"""Fine-tuning benchmark: does "teach it your handwriting" work for an unusual hand?

A simulated person with a consistent, unusual style draws MNIST digits: each digit's skeleton
(bench/drawn.py) is slanted strongly backwards and drawn with a thin pen on the app's canvas,
then goes through the app's canvas transform. The shipped models read this hand at about
87 %, against 98 % for usual drawings of the same digits. They save --per-digit drawings of
every digit to learn from plus --held per digit that fine-tuning holds aside, all through the
app's sample store; then `finetune` runs exactly as the CLI runs it. The digits come from
MNIST's *training* set, so the MNIST test figure is untouched by them.

    python bench/finetune_styles.py --weights weights/simple.pt
    python bench/finetune_styles.py --weights weights/improved.pt --slant 1.2 --brush 0.03 --json
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path

import numpy as np
from common import add_data_dir, add_json, add_weights, parser_for, show
from drawn import draw_like_a_person, skeleton_strokes

from digitnet.common.argtypes import non_negative_int, positive_int
from digitnet.common.digits import NUM_CLASSES
from digitnet.common.errors import run_entry_point
from digitnet.common.sketch import Stroke, render_strokes
from digitnet.data.mnist import load_mnist
from digitnet.data.samples import SampleStore
from digitnet.model.classifier import Classifier
from digitnet.reading.preprocess import to_mnist
from digitnet.reading.read import read_digit
from digitnet.train.config import FinetuneConfig
from digitnet.train.finetune import FinetuneResult, describe, finetune

CANVAS = (400, 400)  # the app's canvas, light ink on black
DEFAULTS = FinetuneConfig()


def draw_in_style(digit: np.ndarray, rng: np.random.Generator, slant: float) -> list[Stroke]:
    """One drawing by a person with a steady hand: slanted backwards by about `slant`, in canvas
    units."""
    shear = slant + rng.normal(0.0, 0.05)
    matrix = np.array([[1.0, shear], [0.0, 1.0]])  # y grows downwards, so the top leans left
    fit = 0.8 / (1.0 + abs(shear))  # keep the slanted digit and the pen inside the canvas
    return [(s - 0.5) @ matrix.T * fit + 0.5 for s in skeleton_strokes(digit)]


def save_style_samples(store: SampleStore, digits: np.ndarray, labels: np.ndarray,
                       rng: np.random.Generator, slant: float, brush: float) -> None:
    for digit, label in zip(digits, labels, strict=True):
        strokes = draw_in_style(digit, rng, slant)
        image = to_mnist(render_strokes(strokes, CANVAS, brush), invert=False)
        if image is not None:
            store.save(strokes, image, int(label), canvas_size=CANVAS, brush=brush)


def pick_per_digit(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return np.concatenate([rng.choice(np.flatnonzero(labels == d), n, replace=False)
                           for d in range(NUM_CLASSES)])


def main(argv: list[str] | None = None) -> int:
    parser = parser_for(__doc__)
    add_weights(parser, "weights to fine-tune (default: the best shipped model)")
    parser.add_argument("--per-digit", type=positive_int, default=10,
                        help="samples of each digit to learn from")
    parser.add_argument("--held", type=positive_int, default=20,
                        help="samples of each digit held aside for before/after")
    parser.add_argument("--slant", type=float, default=1.4, help="backward shear of the style")
    parser.add_argument("--brush", type=float, default=0.012,
                        help="pen width as a fraction of the canvas")
    parser.add_argument("--epochs", type=positive_int, default=DEFAULTS.epochs)
    parser.add_argument("--lr", type=float, default=DEFAULTS.lr)
    parser.add_argument("--mnist-limit", type=non_negative_int, default=0,
                        help="measure on the first N MNIST test images only")
    parser.add_argument("--seed", type=non_negative_int, default=0)
    add_data_dir(parser)
    parser.add_argument("--keep", metavar="DIR", help="keep the samples and the new weights in DIR")
    add_json(parser)
    args = parser.parse_args(argv)

    keep = nullcontext(args.keep) if args.keep else None
    with keep or tempfile.TemporaryDirectory(prefix="digitnet-bench-") as work:
        return run(args, Path(work))


def run(args: argparse.Namespace, work: Path) -> int:
    rng = np.random.default_rng(args.seed)
    base = Classifier.load(args.weights, threads=None)
    images, labels = load_mnist("train", args.data_dir)
    picked = pick_per_digit(labels, args.per_digit + args.held, rng)
    store = SampleStore(work / "samples")
    save_style_samples(store, images[picked], labels[picked], rng, args.slant, args.brush)
    # the same digits drawn the usual way, for contrast: the style should be clearly harder
    normal = [read_digit(base, draw_like_a_person(d, rng)).prediction.digit
              for d in images[picked]]
    normal_acc = float(np.mean(np.array(normal) == labels[picked]))
    config = FinetuneConfig(
        samples=str(store.folder), weights=str(base.path), out=str(work / "finetuned.pt"),
        epochs=args.epochs, lr=args.lr, holdout=args.held / (args.per_digit + args.held),
        data_dir=args.data_dir, mnist_limit=args.mnist_limit, seed=args.seed)
    result = finetune(config, progress=lambda message: print(f"  {message}", file=sys.stderr))
    style = {"slant": args.slant, "brush": args.brush}
    show({"style": style, "normal_drawings_acc": normal_acc, **result.as_dict()},
         report(args, result, normal_acc), args.json)
    return 0


def report(args: argparse.Namespace, result: FinetuneResult, normal_acc: float) -> str:
    kept = f"; weights {result.weights}" if args.keep else ""
    return "\n".join([
        f"fine-tuning benchmark: backward slant {args.slant}, pen {args.brush}, "
        f"{args.per_digit} samples per digit learnt, {args.held} held aside",
        f"  base {result.base_weights}: usual drawings of the same digits "
        f"{100 * normal_acc:.1f} %",
        f"  {describe(result)}",
        f"  fine-tuning took {result.time_s} s{kept}",
    ])


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
