"""Batch-of-one forward time of each model on this CPU, as the app calls it.

    python bench/inference_speed.py            # every registered model, untrained weights
    python bench/inference_speed.py --shipped  # the shipped weights in weights/

Uses one thread, as Recognizer does (fastest for a single 28x28 image here).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitnet.models import MODELS, create_model  # noqa: E402
from digitnet.paths import weights_path  # noqa: E402
from digitnet.recognizer import Recognizer  # noqa: E402


def time_forward(recognizer: Recognizer, runs: int) -> np.ndarray:
    image = np.random.default_rng(0).random((1, 28, 28), dtype=np.float32)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        recognizer.probabilities(image)
        times.append(time.perf_counter() - start)
    return 1000 * np.array(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--shipped", action="store_true", help="time the shipped weights files")
    args = parser.parse_args(argv)
    print(f"torch {torch.__version__}, batch of one, {args.runs} runs after warm-up")
    for name in MODELS:
        if args.shipped:
            recognizer = Recognizer.load(weights_path(name))
        else:
            recognizer = Recognizer(create_model(name), {"model": name})
        ms = time_forward(recognizer, args.runs)
        params = sum(p.numel() for p in recognizer.model.parameters())
        print(f"{name:9s} {params:8,d} params  forward p50 {np.percentile(ms, 50):.3f} ms  "
              f"p95 {np.percentile(ms, 95):.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
