"""Real-time app speed: frame rendering, canvas -> reading, and launch -> first frame and -> ready.

    xvfb-run -a python bench/app_speed.py                  # the default model, no screen needed
    python bench/app_speed.py --weights weights/simple.pt  # on a desktop: the window opens 5 times

Targets at a 1280x720 window: a frame renders in <= 8 ms (p95), canvas -> reading takes
<= 10 ms (p95), for one digit and for a 6-digit number, the first frame is up a few tenths of
a second after launch (before torch is imported), and the model is ready <= 2.5 s after
launch. Rendering and reading run the app's own code (digitnet.ui.render_frame,
digitnet.reading.read_canvas) on a digit drawn as a mouse draws it, and the app's number
path (digitnet.reading.read_sketch: strokes grouped into digits) on a 6-digit number drawn
the same way, its digits apart, and close (where the model is also asked whether neighbours
are one digit: more images in its batch); launches run realtime_opencv.py -v on $DISPLAY and
time its first `layout` log line (logged once the first frame is painted) and its `ready`
line.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from digitnet.app import AppState
from digitnet.background import load_recognizer
from digitnet.drawing import Drawing
from digitnet.errors import run_entry_point
from digitnet.layout import Layout, compute_layout
from digitnet.reading import read_canvas, read_sketch
from digitnet.recognizer import Recognizer
from digitnet.strokes import Sketch
from digitnet.ui import render_frame

APP = Path(__file__).resolve().parent.parent / "realtime_opencv.py"
SIZE = (1280, 720)


def drawn_eight(points: int = 240) -> np.ndarray:
    """An 8 in one stroke, with as many points as a mouse reports in a second or two, and a
    slightly shaky hand."""
    t = np.linspace(0, 2 * np.pi, points)
    x = 0.5 + 0.2 * np.sin(2 * t)
    y = 0.5 - 0.33 * np.cos(t)
    shake = np.random.default_rng(0).normal(0, 0.002, (points, 2))
    return (np.stack([x, y], 1) + shake).astype(np.float32)


# A number as a mouse draws it, digit by digit in a unit box (x, y down): a flagged 1, a
# two-stroke 4, a crossed 7, a 0, a two-stroke 5 and an 8.
NUMBER = "147058"
DIGIT_STROKES: dict[str, list[list[tuple[float, float]]]] = {
    "1": [[(0.2, 0.3), (0.6, 0.0), (0.6, 1.0)]],
    "4": [[(0.6, 0.0), (0.05, 0.65), (0.95, 0.65)], [(0.7, 0.3), (0.7, 1.0)]],
    "7": [[(0.1, 0.0), (0.9, 0.0), (0.35, 1.0)], [(0.3, 0.5), (0.85, 0.5)]],
    "0": [[(0.5 + 0.45 * np.sin(t), 0.5 - 0.5 * np.cos(t)) for t in np.linspace(0, 6.4, 24)]],
    "5": [[(0.2, 0.0), (0.15, 0.45), (0.5, 0.35), (0.85, 0.55), (0.8, 0.88), (0.45, 1.0),
           (0.1, 0.9)], [(0.2, 0.0), (0.85, 0.0)]],
    "8": [[(0.5 + 0.4 * np.sin(2 * t), 0.5 - 0.5 * np.cos(t)) for t in np.linspace(0, 6.3, 40)]],
}


CLOSE_SPACING = 0.1  # digits this many digit widths apart are close enough for the model to
# be asked whether neighbours are one digit (digitnet.grouping.stroke_stretches)


def drawn_number(number: str = NUMBER, spacing: float = 0.8) -> list[np.ndarray]:
    """The digits of `number` side by side across the canvas, each stroke with as many points
    as a mouse reports (one every ~0.5 % of the canvas) and a slightly shaky hand."""
    rng = np.random.default_rng(0)
    width = 0.9 / (len(number) + spacing * (len(number) - 1))  # a digit's width
    strokes = []
    for place, digit in enumerate(number):
        corner = np.array([0.05 + place * width * (1 + spacing), 0.5 - width])
        for corners in DIGIT_STROKES[digit]:
            points = corner + np.array(corners) * [width, 2 * width]
            steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
            along = np.concatenate([[0], np.cumsum(steps)])
            ticks = np.linspace(0, along[-1], max(2, int(along[-1] / 0.005)))
            dense = np.stack([np.interp(ticks, along, points[:, k]) for k in (0, 1)], 1)
            strokes.append((dense + rng.normal(0, 0.001, dense.shape)).astype(np.float32))
    return strokes


def percentiles(seconds: list[float]) -> str:
    p50, p95 = 1000 * np.percentile(seconds, [50, 95])
    return f"p50 {p50:.2f} ms, p95 {p95:.2f} ms"


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    call()  # first call outside the timing: allocations, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def time_drawing(recognizer: Recognizer, state: AppState, layout: Layout,
                 strokes: list[np.ndarray], repeats: int) -> tuple[list[float], list[float], str]:
    """A drawing as the app holds it, read and shown: (seconds to render a frame, seconds from
    its strokes to the reading (the app's read_sketch), the number read)."""
    state.drawing = Drawing(strokes, canvas_size=layout.canvas.size)
    state.recognize("key", now=0.0)
    drawing = state.drawing
    sketch = Sketch(tuple(drawing.strokes), drawing.canvas_size, drawing.brush)
    frames = timed(lambda: render_frame(state, layout), repeats)
    readings = timed(lambda: read_sketch(recognizer, sketch), repeats)
    return frames, readings, read_sketch(recognizer, sketch).number or "none"


def launch(weights: str | None) -> tuple[float, float]:
    """Seconds from starting the app to its first frame, and to its model being ready."""
    command = [sys.executable, str(APP), "-v", "--size", "x".join(map(str, SIZE))]
    start = time.perf_counter()
    app = subprocess.Popen(command + (["--weights", weights] if weights else []),
                           stdout=subprocess.PIPE, text=True)
    assert app.stdout is not None
    first_frame = None
    try:
        for line in app.stdout:
            if first_frame is None and line.startswith("layout "):
                first_frame = time.perf_counter() - start
            if line.startswith("ready "):
                return first_frame or float("nan"), time.perf_counter() - start
        raise SystemExit(f"error: the app ended without a ready line (exit code {app.wait()})")
    finally:
        app.terminate()
        app.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", help="weights file (default: the best shipped model)")
    parser.add_argument("--repeats", type=int, default=300, help="timed frames and readings")
    parser.add_argument("--launches", type=int, default=5, help="timed app launches (0: none)")
    args = parser.parse_args(argv)
    recognizer = load_recognizer(Path(args.weights) if args.weights else None)  # as the app does

    state = AppState(recognizer)
    layout = compute_layout(*SIZE)
    canvas = Drawing([drawn_eight()], canvas_size=layout.canvas.size).render()
    print(f"app speed at {SIZE[0]}x{SIZE[1]}, model {recognizer.name} ({recognizer.path}), "
          f"canvas {canvas.shape[1]}x{canvas.shape[0]}, torch threads {torch.get_num_threads()}")
    frames, readings, _ = time_drawing(recognizer, state, layout, [drawn_eight()], args.repeats)
    print(f"  render frame:          {percentiles(frames)}   (target p95 <= 8 ms)")
    print(f"  canvas -> reading:     {percentiles(readings)}   (target p95 <= 10 ms; the app's "
          "read_sketch)")
    for spacing, how in ((0.8, "apart"), (CLOSE_SPACING, "close, the model choosing groups")):
        frames, readings, number = time_drawing(recognizer, state, layout,
                                                drawn_number(spacing=spacing), args.repeats)
        print(f"  {len(NUMBER)} digits ({NUMBER} drawn {how}, with the default brush, read as "
              f"{number}):")
        print(f"    render frame:        {percentiles(frames)}   (target p95 <= 8 ms)")
        print(f"    canvas -> reading:   {percentiles(readings)}   (target p95 <= 10 ms)")
    readings = timed(lambda: read_canvas(recognizer, canvas), args.repeats)
    print(f"  image -> reading:      {percentiles(readings)}   (predict's read_canvas on the "
          "one-digit canvas; no target)")
    if args.launches and not os.environ.get("DISPLAY"):
        print("  launches:              skipped, no $DISPLAY (run under xvfb-run -a)")
    elif args.launches:
        first, ready = zip(*(launch(args.weights) for _ in range(args.launches)), strict=True)
        for name, seconds, target in [("first frame", first, "a few tenths of a second"),
                                      ("ready", ready, "<= 2.5 s")]:
            print(f"  launch -> {name + ':':12s} {', '.join(f'{s:.2f}' for s in seconds)} s "
                  f"(median {np.median(seconds):.2f} s; target {target})")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
