"""Real-time app speed: frame rendering, canvas -> prediction, and launch -> first frame with the model ready.

    xvfb-run -a python bench/app_speed.py                    # shipped default model, no screen needed
    python bench/app_speed.py --weights weights/simple.pt    # on a desktop: the window opens 3 times

Targets at a 1280x720 window: a frame renders in <= 8 ms (p95), canvas -> prediction takes
<= 10 ms (p95), launch -> first frame with the model ready <= 2.5 s. Rendering and prediction
run the app's own code (digitnet.ui.render_frame, digitnet.app.recognize) on a digit drawn as
a mouse draws it; launches run realtime_opencv.py on $DISPLAY and time its `ready` log line.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from digitnet.errors import run_entry_point  # noqa: E402
from digitnet.app import AppState, recognize, render_canvas  # noqa: E402
from digitnet.layout import compute_layout  # noqa: E402
from digitnet.recognizer import Recognizer  # noqa: E402
from digitnet.ui import render_frame  # noqa: E402

SIZE = (1280, 720)


def drawn_eight(points: int = 240) -> np.ndarray:
    """An 8 in one stroke, with as many points as a mouse reports in a second or two, and a slightly shaky hand."""
    t = np.linspace(0, 2 * np.pi, points)
    x = 0.5 + 0.2 * np.sin(2 * t)
    y = 0.5 - 0.33 * np.cos(t)
    shake = np.random.default_rng(0).normal(0, 0.002, (points, 2))
    return (np.stack([x, y], 1) + shake).astype(np.float32)


def percentiles(seconds: list[float]) -> str:
    p50, p95 = 1000 * np.percentile(seconds, [50, 95])
    return f"p50 {p50:.2f} ms, p95 {p95:.2f} ms"


def timed(call, repeats: int) -> list[float]:
    call()  # first call outside the timing: allocations, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def launch_to_ready(weights: str | None) -> float:
    """Seconds from starting realtime_opencv.py to its log line saying a frame is up with the model ready."""
    args = [sys.executable, str(REPO_ROOT / "realtime_opencv.py"), "-v", "--size", "x".join(map(str, SIZE))]
    start = time.perf_counter()
    app = subprocess.Popen(args + (["--weights", weights] if weights else []), stdout=subprocess.PIPE, text=True)
    try:
        for line in app.stdout:
            if line.startswith("ready "):
                return time.perf_counter() - start
        raise SystemExit(f"error: the app ended without a ready line (exit code {app.wait()})")
    finally:
        app.terminate()
        app.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", help="weights file (default: the best shipped model)")
    parser.add_argument("--repeats", type=int, default=300, help="timed frames and predictions")
    parser.add_argument("--launches", type=int, default=3, help="timed app launches (0: none)")
    args = parser.parse_args(argv)
    recognizer = Recognizer.load(args.weights)

    state = AppState(recognizer)
    state.layout = compute_layout(*SIZE)
    state.strokes = [drawn_eight()]
    canvas = render_canvas(state, state.layout.canvas.size)
    state.recognize("key", now=0.0)
    print(f"app speed at {SIZE[0]}x{SIZE[1]}, model {recognizer.name} ({recognizer.meta['path']}), "
          f"canvas {canvas.shape[1]}x{canvas.shape[0]}, torch threads {torch.get_num_threads()}")
    print(f"  render frame:          {percentiles(timed(lambda: render_frame(state, state.layout), args.repeats))}"
          "   (target p95 <= 8 ms)")
    print(f"  canvas -> prediction:  {percentiles(timed(lambda: recognize(recognizer, canvas), args.repeats))}"
          "   (target p95 <= 10 ms)")
    if args.launches and not os.environ.get("DISPLAY"):
        print("  launch -> ready:       skipped, no $DISPLAY (run under xvfb-run -a)")
    elif args.launches:
        launches = [launch_to_ready(args.weights) for _ in range(args.launches)]
        print(f"  launch -> ready:       {', '.join(f'{s:.2f}' for s in launches)} s "
              f"(median {np.median(launches):.2f} s; target <= 2.5 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
