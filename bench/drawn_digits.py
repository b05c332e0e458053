"""Drawn-digit benchmark: MNIST *test* digits redrawn as mouse drawings, read by the app's path.

Each test digit is thinned and redrawn with a round anti-aliased brush on a canvas of random
size, at a random size, position, slant and brush width, in either polarity
(bench/drawn.py). Every canvas then goes through exactly what the app does with its canvas
(digitnet.reading.read.read_digit: the canvas transform, then the model). For contrast, the same
canvases are also squashed whole to 28x28, as the usual demos do.

MNIST's writers were American: their 1s are bare strokes and their 7s have no bar. With
--continental, 1s and 7s are drawn the way much of the world writes them, the 1 with a flag
and the 7 with a bar through its stem. These marks are the benchmark's own
(bench/drawn.py: continental_segment); training draws its continental shapes with a separate
generator (digitnet.train.augment), so this measures shapes that training did not generate.

    python bench/drawn_digits.py                  # 2,000 drawings, shipped default model
    python bench/drawn_digits.py --n 10000 --weights weights/simple.pt --json
    python bench/drawn_digits.py --digits 17 --n 2000 --continental 1
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
from common import add_data_dir, add_json, add_weights, p50_p95, parser_for, show
from drawn import DrawStyle, draw_like_a_person

from digitnet.common.digits import IMAGE_SIZE, NUM_CLASSES
from digitnet.common.errors import run_entry_point
from digitnet.data.mnist import load_mnist
from digitnet.model.classifier import Classifier
from digitnet.reading.preprocess import ink_image
from digitnet.reading.read import read_digit

ALL_DIGITS = "".join(str(d) for d in range(NUM_CLASSES))


def naive_resize(canvas: np.ndarray) -> np.ndarray:
    """What the usual demos do: squash the whole canvas to the network's input size."""
    ink = ink_image(canvas).astype(np.float32)
    return cv2.resize(ink / max(float(ink.max()), 1e-6), (IMAGE_SIZE, IMAGE_SIZE),
                      interpolation=cv2.INTER_AREA)


def pick_indices(labels: np.ndarray, n: int, seed: int,
                 digits: tuple[int, ...] = tuple(range(NUM_CLASSES))) -> np.ndarray:
    """n test digits of these classes, as evenly spread over them as the set allows."""
    rng = np.random.default_rng(seed)
    per_class = [rng.permutation(np.flatnonzero(labels == d)) for d in range(NUM_CLASSES)]
    everything = np.flatnonzero(np.isin(labels, digits))
    if n >= len(everything):
        return everything
    picked = [per_class[d][: -(-n // len(digits))] for d in digits]
    return np.sort(np.concatenate(picked))[:n]


def confusions(truth: np.ndarray, guess: np.ndarray, top: int = 8) -> list[tuple[int, int, int]]:
    pairs = Counter((int(t), int(g)) for t, g in zip(truth, guess, strict=True) if t != g)
    return [(t, g, c) for (t, g), c in pairs.most_common(top)]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = parser_for(__doc__)
    add_weights(parser)
    parser.add_argument("--n", type=int, default=2000,
                        help="number of drawings (the test set has 10,000)")
    parser.add_argument("--seed", type=int, default=0)
    add_data_dir(parser)
    add_json(parser)
    parser.add_argument("--save-errors", metavar="DIR",
                        help="write the misread drawings here as PNGs")
    parser.add_argument("--continental", type=float, default=0.0, metavar="P",
                        help="share of 1s and 7s drawn with a flag on the 1 or a bar through the 7")
    parser.add_argument("--digits", default=ALL_DIGITS, help="draw only these digits, e.g. 17")
    args = parser.parse_args(argv)
    if not args.digits or set(args.digits) - set(ALL_DIGITS):
        parser.error(f"--digits takes digits 0-9, got {args.digits!r}")
    if args.n < 1:
        parser.error(f"--n is a number of drawings, at least 1, got {args.n}")
    if not 0 <= args.continental <= 1:
        parser.error(f"--continental is a share between 0 and 1, got {args.continental}")
    return args


def save_error(folder: str, index: int, label: int, read: int, canvas: np.ndarray) -> None:
    out = Path(folder) / f"{index:05d}_true{label}_read{read}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), canvas)


def measure(args: argparse.Namespace) -> dict:
    """Draw, read both ways, and score: the result as one JSON-ready dict."""
    style = DrawStyle(continental_prob=args.continental)
    classifier = Classifier.load(args.weights)
    images, labels = load_mnist("test", args.data_dir)
    rng = np.random.default_rng(args.seed)
    digits = tuple(sorted(int(d) for d in set(args.digits)))
    indices = pick_indices(labels, args.n, args.seed, digits)
    app_guess, naive_images, latencies, rejected = [], [], [], []
    for count, i in enumerate(indices, 1):
        canvas = draw_like_a_person(images[i], rng, style, int(labels[i]))
        start = time.perf_counter()
        prediction = read_digit(classifier, canvas).prediction
        latencies.append(time.perf_counter() - start)
        app_guess.append(-1 if prediction.digit is None else prediction.digit)
        rejected.append(prediction.rejected)
        naive_images.append(naive_resize(canvas))
        if args.save_errors and app_guess[-1] != labels[i]:
            save_error(args.save_errors, int(i), int(labels[i]), app_guess[-1], canvas)
        if count % 500 == 0:
            print(f"  {count}/{len(indices)} drawings", file=sys.stderr)
    p50, p95 = p50_p95(latencies)
    truth, guess = labels[indices], np.array(app_guess)
    naive_guess = classifier.probabilities(np.stack(naive_images)).argmax(1)
    return {
        "weights": str(classifier.path),
        "model": classifier.name,
        "n": int(len(indices)),
        "seed": args.seed,
        "accuracy": float((guess == truth).mean()),
        "naive_resize_accuracy": float((naive_guess == truth).mean()),
        "rejected": float(np.mean(rejected)),  # not a digit; the accuracy is of the best guess
        "per_class": {str(d): float((guess[truth == d] == d).mean())
                      for d in np.unique(truth).tolist()},
        "top_confusions": [{"true": t, "read": g, "count": c}
                           for t, g, c in confusions(truth, guess)],
        "canvas_to_prediction_ms_p50": p50,
        "canvas_to_prediction_ms_p95": p95,
    }


def report(result: dict) -> str:
    per_class = "  ".join(f"{d}: {100 * a:.1f}" for d, a in result["per_class"].items())
    confused = ", ".join(f"{c['true']}->{c['read']}: {c['count']}"
                         for c in result["top_confusions"])
    return "\n".join([
        f"drawn-digit benchmark: {result['n']} drawings of MNIST test digits, "
        f"seed {result['seed']}, model {result['model']} ({result['weights']})",
        f"  app path (canvas transform + model): {100 * result['accuracy']:.2f} %",
        f"  naive whole-canvas resize:           {100 * result['naive_resize_accuracy']:.2f} %",
        f"  rejected as not a digit:             {100 * result['rejected']:.2f} %",
        f"  per class: {per_class}",
        f"  top confusions (true -> read: count): {confused}",
        f"  canvas -> prediction: p50 {result['canvas_to_prediction_ms_p50']:.2f} ms, "
        f"p95 {result['canvas_to_prediction_ms_p95']:.2f} ms",
    ])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = measure(args)
    show(result, report(result), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
