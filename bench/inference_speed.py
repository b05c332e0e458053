"""Batch-of-one forward time of each model on this CPU, as the app calls it.

    python bench/inference_speed.py            # every registered model, untrained weights
    python bench/inference_speed.py --shipped  # the shipped weights in weights/

Uses one thread, as Classifier does (fastest for a single 28x28 image here).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from common import p50_p95, parser_for

from digitnet.common.argtypes import positive_int
from digitnet.common.digits import IMAGE_SIZE
from digitnet.common.errors import run_entry_point
from digitnet.common.paths import weights_path
from digitnet.model.classifier import Classifier
from digitnet.model.networks import create_model
from digitnet.model.registry import MODEL_NAMES
from digitnet.model.weights import WeightsInfo, WeightsMetadata


def time_forward(classifier: Classifier, runs: int) -> list[float]:
    image = np.random.default_rng(0).random((1, IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        classifier.probabilities(image)
        times.append(time.perf_counter() - start)
    return times


def classifier_for(name: str, shipped: bool) -> Classifier:
    if shipped:
        return Classifier.load(weights_path(name))
    return Classifier(create_model(name), WeightsInfo(name, {}, WeightsMetadata()))


def main(argv: list[str] | None = None) -> int:
    parser = parser_for(__doc__)
    parser.add_argument("--runs", type=positive_int, default=2000)
    parser.add_argument("--shipped", action="store_true", help="time the shipped weights files")
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, batch of one, {args.runs} runs after warm-up")
    for name in MODEL_NAMES:
        classifier = classifier_for(name, args.shipped)
        p50, p95 = p50_p95(time_forward(classifier, args.runs))
        params = sum(p.numel() for p in classifier.model.parameters())
        print(f"{name:9s} {params:8,d} params  forward p50 {p50:.3f} ms  p95 {p95:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
