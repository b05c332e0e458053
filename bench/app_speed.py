"""The app's speed where people use it: on a quiet machine and on a busy one.

    xvfb-run -a python bench/app_speed.py                  # quiet
    xvfb-run -a python bench/app_speed.py --load 1         # one core kept busy by another process
    python bench/app_speed.py --load 1 --no-window         # the in-process figures alone

`--load K` starts K busy-loop processes beside the app (a browser, a build, a video call: a
laptop's normal state) for the whole run.

In process, the app's own code: a frame rendered (digitnet.app.frame.render_frame) while the reading
worker reads back to back, and the readings' own time meanwhile (digitnet.reading.read.read_sketch
on the worker's thread), for one digit and a 6-digit number drawn apart and close.

In the real window (realtime_opencv.py -v on $DISPLAY):
- launch -> first frame and -> model ready;
- key press -> the frame that shows it, and mouse move -> the frame that shows its ink: events
  sent through XTest, the screen read back until it changes;
- a person-paced drive: 30 pen digits of training writers (3 of each digit; never the
  handwriting benchmark's writers), each stroke one xdotool call with about 10 ms between
  points (a digit in about half a second), `C` as soon as each is read, then six quick bracket
  presses: the digits read right, the keys logged and the strokes and points the app kept.

Targets (this 2-core machine, --load 1): frame p95 <= 16 ms while readings run; key -> screen
p95 <= 50 ms; reading p95 <= 15 ms for one digit and <= 25 ms for six; the drive reads at least
29 of 30 digits right, with every key logged; quiet, no figure worse than before.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import torch
from app_window import APP, WINDOW_SIZE, Rects, RunningApp, XClient, on_screen, started
from common import add_load, add_weights, busy_cores, parser_for, percentiles

from digitnet.app.drawing import Drawing
from digitnet.app.frame import render_frame
from digitnet.app.layout import Layout, compute_layout
from digitnet.app.state import AppState
from digitnet.app.window import FRAME_S
from digitnet.app.workers import load_classifier
from digitnet.common.errors import run_entry_point
from digitnet.common.sketch import Sketch
from digitnet.data.pendigits import TRAINING_WRITERS, load_pendigits, of_writers
from digitnet.data.strokes import APP_STYLE, lay_out
from digitnet.model.classifier import Classifier
from digitnet.reading.read import read_sketch

SIZE = (1280, 720)  # in-process frames
DRIVE_DIGITS_PER_CLASS = 3
DRIVE_SEED = 21
POINT_GAP_S = 0.01  # a mouse reports a point about every 10 ms
DIGIT_S = 0.5  # a person draws a digit in about half a second


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
# be asked whether neighbours are one digit (digitnet.reading.grouping.stroke_stretches)


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
            strokes.append(resampled(points, 0.005) + rng.normal(0, 0.001, (1, 2)))
    return [s.astype(np.float32) for s in strokes]


def resampled(points: np.ndarray, step: float) -> np.ndarray:
    """A polyline's points again, one every `step` along it (at least its two ends)."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    along = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    ticks = np.linspace(0, along[-1], max(2, int(along[-1] / step) + 1))
    return np.stack([np.interp(ticks, along, points[:, k]) for k in (0, 1)], 1)


# in process


def frames_while_reading(classifier: Classifier, layout: Layout, strokes: list[np.ndarray],
                         frames: int) -> tuple[list[float], list[float], str]:
    """Render `frames` frames of a drawing on this thread, as often as the window draws them
    while a stroke is drawn, while another thread reads it as the reading worker does while
    drawing (each reading followed by a pause as long): (frame seconds, reading seconds, the
    number read)."""
    state = AppState(classifier)
    state.drawing = Drawing(strokes, canvas_size=layout.canvas.size)
    state.schedule.request("key")
    state.tick(0.0)  # the reading on show, so the frame draws it
    drawing = state.drawing
    sketch = Sketch(tuple(drawing.strokes), drawing.canvas_size, drawing.brush)
    readings: list[float] = []
    done = threading.Event()

    def read_as_the_schedule_does() -> None:  # each reading followed by a pause as long
        while not done.is_set():
            start = time.perf_counter()
            read_sketch(classifier, sketch)
            readings.append(time.perf_counter() - start)
            time.sleep(readings[-1])

    reader = threading.Thread(target=read_as_the_schedule_does, daemon=True)
    render_frame(state, layout)
    reader.start()
    times = []
    for _ in range(frames):
        start = time.perf_counter()
        render_frame(state, layout)
        times.append(time.perf_counter() - start)
        time.sleep(max(FRAME_S - times[-1], 0))  # the window draws at most 60 frames a second
    done.set()
    reader.join()
    return times, readings[1:], state.reading.number or "none"


def in_process(classifier: Classifier, frames: int) -> None:
    layout = compute_layout(*SIZE)
    print(f"in process, {SIZE[0]}x{SIZE[1]} frames at the window's pace while the worker reads "
          "at its pace:")
    cases = [("one digit (an 8)", [drawn_eight()]),
             (f"{len(NUMBER)} digits apart", drawn_number()),
             (f"{len(NUMBER)} digits close (the model also asked how strokes group)",
              drawn_number(spacing=CLOSE_SPACING))]
    for name, strokes in cases if frames else []:
        frame_times, readings, number = frames_while_reading(classifier, layout, strokes, frames)
        print(f"  {name}, read as {number}:")
        print(f"    frame:    {percentiles(frame_times)}   (target p95 <= 16 ms)")
        target = "15" if len(strokes) == 1 else "25"
        print(f"    reading:  {percentiles(readings)}   (target p95 <= {target} ms; "
              f"{len(readings)} readings)")


# the real window (bench/app_window.py drives it)


def launch_times(weights: list[str], count: int) -> None:
    first, ready = [], []
    for _ in range(count):
        app = RunningApp([*weights, "--size", "x".join(map(str, SIZE))])
        try:
            first.append(app.expect(r"layout .*")[0] - app.start)
            ready.append(app.expect(r"ready .*")[0] - app.start)
        finally:
            app.close()
    for name, seconds, target in [("first frame", first, "a few tenths of a second"),
                                  ("ready", ready, "<= 2.5 s")]:
        print(f"  launch -> {name + ':':12s} {', '.join(f'{s:.2f}' for s in seconds)} s "
              f"(median {np.median(seconds):.2f} s; target {target})")


def input_latency(x: XClient, app: RunningApp, rects: Rects, count: int) -> None:
    """Key press -> the frame that shows it (the brush's size in the canvas's corner), and
    mouse move -> the frame that shows its ink, while live readings run."""
    image, canvas = rects
    corner = (image[0] + canvas[0] + canvas[2] - 140, image[1] + canvas[1] + canvas[3] - 60,
              130, 50)  # the brush's dot and size
    keys = []
    for i in range(count):
        before = x.grab(*corner)
        x.key("bracketright" if i % 2 == 0 else "bracketleft")
        keys.append(x.wait_change(corner, before))
        time.sleep(0.1)
    moves = []
    rng = np.random.default_rng(0)
    x.move(*on_screen(rects, 0.2, 0.5))
    x.button(True)
    for i in range(count):
        u, v = 0.2 + 0.6 * (i % 10) / 10 + 0.03, 0.3 + 0.4 * rng.uniform()
        if i % 10 == 0:
            x.button(False)
            x.key("c")
            time.sleep(0.1)
            x.move(*on_screen(rects, u - 0.03, v))
            x.button(True)
            time.sleep(0.05)
        px, py = on_screen(rects, u, v)
        region = (px - 3, py - 3, 7, 7)
        before = x.grab(*region)
        x.move(px, py)
        moves.append(x.wait_change(region, before))
        time.sleep(0.03)
    x.button(False)
    x.key("c")
    app.drain()
    print(f"  key press -> screen:   {percentiles(keys)}   (target p95 <= 50 ms; "
          f"{np.isnan(keys).sum()} of {count} never shown)")
    print(f"  mouse move -> screen:  {percentiles(moves)}   "
          f"({np.isnan(moves).sum()} of {count} never shown)")


def drive_digits(seed: int = DRIVE_SEED) -> list[tuple[int, Sketch]]:
    """3 pen digits of each class by training writers (never the benchmark's), laid out as a
    person draws them in the app's default window."""
    rng = np.random.default_rng(seed)
    samples = of_writers(load_pendigits(), TRAINING_WRITERS)
    chosen = []
    for digit in range(10):
        of_digit = [s for s in samples if s.label == digit]
        for index in rng.choice(len(of_digit), DRIVE_DIGITS_PER_CLASS, replace=False):
            sample = of_digit[index]
            chosen.append((digit, lay_out(sample.strokes, rng, APP_STYLE)))
    return chosen


def stroke_commands(rects: Rects, strokes: tuple[np.ndarray, ...]) -> list[list[str]]:
    """One xdotool command line per stroke: a person's pace, a point every POINT_GAP_S, the
    whole digit in about DIGIT_S."""
    lengths = [float(np.linalg.norm(np.diff(s, axis=0), axis=1).sum()) for s in strokes]
    points = max(8, round(DIGIT_S / POINT_GAP_S))
    step = max(sum(lengths) / points, 1e-3)
    commands = []
    for stroke in strokes:
        path = [on_screen(rects, float(u), float(v)) for u, v in resampled(stroke, step)]
        command = ["xdotool", "mousemove", *map(str, path[0]), "mousedown", "1"]
        for px, py in path[1:]:
            command += ["sleep", str(POINT_GAP_S), "mousemove", str(px), str(py)]
        commands.append(command + ["mouseup", "1"])
    return commands


def person_paced_drive(app: RunningApp, rects: Rects) -> tuple[int, int, int, int, int, int]:
    """Draw each digit, wait for its reading after the last stroke, press C at once; then six
    quick bracket presses. Returns (digits right, digits, keys logged, keys pressed, strokes
    logged, strokes drawn)."""
    digits = drive_digits()
    right, strokes_sent, keys_sent = 0, 0, 0
    app.drain()
    first = len(app.seen)
    for label, sketch in digits:
        for command in stroke_commands(rects, sketch.strokes):
            subprocess.run(command, check=True)
        strokes_sent += len(sketch.strokes)
        right += app.settled_digit() == str(label)
        subprocess.run(["xdotool", "key", "c"], check=True)
        keys_sent += 1
    subprocess.run(["xdotool", "key", *["bracketright"] * 3, *["bracketleft"] * 3], check=True)
    keys_sent += 6
    time.sleep(1.0)
    app.drain()
    lines = app.seen[first:]
    keys = sum(1 for line in lines if line == "clear" or line.startswith("brush "))
    strokes = sum(1 for line in lines if line.startswith("stroke "))
    return right, len(digits), keys, keys_sent, strokes, strokes_sent


def real_window(weights: list[str], launches: int, latency: int, drive: bool) -> None:
    display = os.environ.get("DISPLAY")
    if not display:
        print("real window: skipped, no $DISPLAY (run under xvfb-run -a)")
        return
    print(f"real window ({WINDOW_SIZE[0]}x{WINDOW_SIZE[1]}, {RunningApp.script} -v on "
          f"{display}):")
    if launches:
        launch_times(weights, launches)
    if not latency and not drive:
        return
    app, rects = started(weights)
    try:
        x = XClient(display)
        window = subprocess.run(["xdotool", "search", "--name", "^digitnet$"], check=True,
                                capture_output=True, text=True).stdout.split()[0]
        subprocess.run(["xdotool", "windowfocus", window], check=True)
        if latency:
            input_latency(x, app, rects, latency)
        if drive:
            right, digits, keys, sent, strokes, drawn = person_paced_drive(app, rects)
            print(f"  person-paced drive:    {right} of {digits} pen digits read right; "
                  f"{keys} of {sent} keys logged; {strokes} of {drawn} strokes logged")
    finally:
        app.close()


def main(argv: list[str] | None = None) -> int:
    parser = parser_for(__doc__)
    add_weights(parser)
    add_load(parser, "busy-loop processes beside the app (default 0: a quiet machine)")
    parser.add_argument("--frames", type=int, default=300, help="timed frames per drawing")
    parser.add_argument("--launches", type=int, default=5, help="timed app launches (0: none)")
    parser.add_argument("--latency", type=int, default=40,
                        help="timed key presses and mouse moves (0: none)")
    parser.add_argument("--no-window", dest="window", action="store_false",
                        help="the in-process figures only")
    parser.add_argument("--no-drive", dest="drive", action="store_false",
                        help="no person-paced drive in the real window")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="torch threads for the in-process readings (default: the app's)")
    parser.add_argument("--app", type=Path, default=APP,
                        help="the app script the real window runs (another checkout's, to compare)")
    args = parser.parse_args(argv)
    RunningApp.script = args.app.resolve()
    weights = ["--weights", args.weights] if args.weights else []
    with busy_cores(args.load):
        classifier = load_classifier(Path(args.weights) if args.weights else None)  # as the app
        if args.threads:
            torch.set_num_threads(args.threads)
        print(f"app speed, model {classifier.name}, torch threads {torch.get_num_threads()}, "
              f"{args.load} busy-loop process(es) beside it, {os.cpu_count()} cores")
        in_process(classifier, args.frames)
        if args.window:
            real_window(weights, args.launches, args.latency, args.drive)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
