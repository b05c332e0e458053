"""Reading a number held up to a camera: generated videos, played through the app's own camera
path, as a person would hold paper in front of a webcam.

    python bench/camera.py                       # 40 videos of benchmark writers' numbers
    python bench/camera.py --count 16 --load 1   # fewer, with one core kept busy
    python bench/camera.py --fold tune           # tuning writers: for choosing constants

Each video (640x480, 30 frames a second, MPEG-4 compressed) shows an empty desk, then a sheet of
paper with a number of 1-8 digits written by one pen writer (in ink: digitnet.data.ink) sliding
into the picture, then held by a hand: it moves and turns a little, is seen at an angle, the
hand's shadow passes over it, the light changes, fast moves blur it, and the sensor adds noise.
Writers are the handwriting benchmark's (never trained on), or with --fold tune the tuning
fold's; the layout of numbers is bench/number_synthesis.py's, with this benchmark's own seed.

Every video plays through digitnet.app.camera.CameraFeed in real time into the app's state
(digitnet.app.state.AppState with its reading worker), and frames are drawn as the window draws
them (digitnet.app.frame.render_frame, at most 60 a second): the same code a webcam drives. Printed:
frames drawn per second and the age of the picture in each, readings per second, the time
from the number being wholly in the picture to the right number shown as steady, and how long
a wrong number was ever shown as steady.

Targets (this 2-core CPU, 640x480): >= 25 frames a second while reading, no picture older than
100 ms on screen; the right number steady within 1 s for >= 95 % of the numbers; no wrong
number steady for more than 0.5 s.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from common import add_fold, add_load, add_weights, busy_cores, parser_for, percentiles
from number_synthesis import compose_pen, pick_layout

from digitnet.app.camera import CameraFeed
from digitnet.app.frame import frame_layout, keys_help, render_frame
from digitnet.app.state import AppState
from digitnet.app.window import DEFAULT_SIZE, FRAME_S, WAIT_MS
from digitnet.app.workers import ReadingWorker, load_classifier
from digitnet.common.errors import run_entry_point
from digitnet.data.ink import TRAINING_INK, ink_coverage, scan
from digitnet.data.pendigits import (
    BENCHMARK_WRITERS,
    PenSample,
    load_pendigits,
    of_writers,
    writer_folds,
)
from digitnet.data.sources import PENDIGITS_TUNING_FOLD
from digitnet.model.classifier import Classifier

SEED = 2607  # this benchmark's own
SIZE = (640, 480)
FPS = 30
EMPTY_S, ENTER_S, HELD_S = 0.5, 0.4, 2.6  # the desk alone, the paper sliding in, then held
LENGTHS = (1, 2, 3, 4, 5, 6, 7, 8)


@dataclass(frozen=True)
class Video:
    path: Path
    number: str
    entered_s: float  # when the number is wholly in the picture, from the first frame


# the videos


def desk(rng: np.random.Generator) -> np.ndarray:
    """A desk's surface: a dull colour with soft blotches, BGR float32 0-1."""
    base = rng.uniform(0.15, 0.55, 3).astype(np.float32)
    blotches = cv2.resize(rng.normal(0, 0.05, (6, 8)).astype(np.float32), SIZE,
                          interpolation=cv2.INTER_CUBIC)
    return np.clip(base + blotches[..., None], 0, 1)


def sheet(samples: list[PenSample], rng: np.random.Generator) -> np.ndarray:
    """One writer's number in ink on a sheet of paper with a margin: gray float32 0-1."""
    sketch = compose_pen(samples, pick_layout(rng, len(samples), "normal"), rng)
    page = scan(ink_coverage(sketch, rng, TRAINING_INK), rng, TRAINING_INK)
    margin = round(0.25 * page.shape[0])
    tone = float(np.median(page))
    return cv2.copyMakeBorder(page, margin, margin, margin, margin, cv2.BORDER_CONSTANT,
                              value=tone).astype(np.float32) / 255


def pose(t: float, rng_state: np.ndarray, width: float) -> tuple[float, float, float]:
    """The sheet's centre x, y and angle (degrees) at `t` seconds: sliding in from the left,
    then held by a hand that drifts and shakes."""
    drift_x, drift_y, turn, shake, phase = rng_state
    settled = (SIZE[0] / 2, SIZE[1] / 2)
    if t < EMPTY_S:
        return -width, settled[1], 0.0
    if t < EMPTY_S + ENTER_S:
        share = (t - EMPTY_S) / ENTER_S
        return -width / 2 + share * (settled[0] + width / 2), settled[1], 0.0
    held = t - EMPTY_S - ENTER_S
    x = settled[0] + drift_x * np.sin(0.7 * held + phase) + shake * np.sin(9 * held)
    y = settled[1] + drift_y * np.sin(0.5 * held) + shake * np.cos(11 * held + phase)
    return float(x), float(y), float(turn * np.sin(0.6 * held + phase))


def frame_at(t: float, paper: np.ndarray, background: np.ndarray, motion: np.ndarray,
             rng: np.random.Generator) -> np.ndarray:
    """The camera's picture at `t`: the sheet placed, tilted and turned, over the desk; the
    hand's shadow, the light, motion blur and the sensor's noise."""
    height, width = paper.shape
    scale = 0.85 * min(SIZE[0] / width, SIZE[1] / height)
    x, y, angle = pose(t, motion[:5], width * scale)
    tilt = motion[5]  # seen at an angle: the far edge shorter
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    half = np.array([width, height], np.float32) * scale / 2
    placed = np.array([[-half[0] * (1 - tilt), -half[1]], [half[0] * (1 - tilt), -half[1]],
                       [half[0], half[1]], [-half[0], half[1]]], np.float32)
    turn = np.deg2rad(angle)
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]], np.float32)
    placed = placed @ rotation.T + np.array([x, y], np.float32)
    homography = cv2.getPerspectiveTransform(corners, placed)
    sheet_px = cv2.warpPerspective(paper, homography, SIZE, flags=cv2.INTER_LINEAR)
    cover = cv2.warpPerspective(np.ones_like(paper), homography, SIZE)
    picture = background * (1 - cover[..., None]) + sheet_px[..., None] * cover[..., None]
    ys, xs = np.mgrid[:SIZE[1], :SIZE[0]]
    shadow_x = SIZE[0] * (1.2 - 0.5 * t / (EMPTY_S + ENTER_S + HELD_S))  # a hand's shadow
    shadow = 1 - motion[6] * np.exp(-(((xs - shadow_x) / 120) ** 2 + ((ys - 420) / 90) ** 2))
    light = 1 + 0.15 * np.sin(1.3 * t + motion[4])  # the light changes
    picture = picture * (shadow * light)[..., None].astype(np.float32)
    if EMPTY_S <= t < EMPTY_S + ENTER_S:  # sliding in fast: blurred along the move
        picture = cv2.blur(picture, (9, 1))
    picture += rng.normal(0, motion[7], picture.shape).astype(np.float32)
    return np.round(np.clip(picture, 0, 1) * 255).astype(np.uint8)


def write_video(path: Path, samples: list[PenSample], rng: np.random.Generator) -> Video:
    paper = sheet(samples, rng)
    background = desk(rng)
    motion = np.array([rng.uniform(10, 40), rng.uniform(5, 25), rng.uniform(-12, 12),
                       rng.uniform(0, 4), rng.uniform(0, 6.3), rng.uniform(0, 0.15),
                       rng.uniform(0.2, 0.5), rng.uniform(0.005, 0.02)])
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), FPS, SIZE)
    frames = round((EMPTY_S + ENTER_S + HELD_S) * FPS)
    for index in range(frames):
        writer.write(frame_at(index / FPS, paper, background, motion, rng))
    writer.release()
    return Video(path, "".join(str(s.label) for s in samples), EMPTY_S + ENTER_S)


def make_videos(folder: Path, count: int, writers: tuple[int, ...], seed: int) -> list[Video]:
    rng = np.random.default_rng(seed)
    samples = of_writers(load_pendigits(), writers)
    by_writer = {w: [s for s in samples if s.writer == w] for w in writers}
    videos = []
    for i in range(count):
        writer = by_writer[writers[i % len(writers)]]
        length = LENGTHS[i % len(LENGTHS)]
        digits = [writer[j] for j in rng.choice(len(writer), length, replace=False)]
        videos.append(write_video(folder / f"{i:03d}.mp4", digits, rng))
    return videos


# playing them through the app


@dataclass
class Watched:
    number: str
    steady_after_s: float  # from the number wholly in the picture to it steady; inf: never
    wrong_steady_s: float  # the longest a wrong number was steady
    frames: int
    seconds: float
    readings: int
    ages: list[float]


def watch(classifier: Classifier, reader: ReadingWorker, video: Video) -> Watched:
    """Play a video through the app's camera path in real time, drawing frames as the window
    does, until it ends."""
    feed = CameraFeed(str(video.path))
    started = feed.newest().taken
    state = AppState(classifier, camera=feed, reader=reader)
    layout = frame_layout(*DEFAULT_SIZE, keys_help(state))
    shown_version, next_frame, frames, ages, readings = -1, 0.0, 0, [], 0
    steady: list[tuple[float, str | None]] = [(started, None)]
    while feed.problem is None:
        now = time.perf_counter()
        state.tick(now)
        for line in state.events.take():
            readings += "trigger=camera" in line
            if match := re.fullmatch(r"steady number=(\S+)", line):
                steady.append((now, None if match[1] == "none" else match[1]))
        if state.version != shown_version and now >= next_frame:
            render_frame(state, layout)
            ages.append(time.perf_counter() - state.watching.picture.taken)  # type: ignore[union-attr]
            shown_version, next_frame, frames = state.version, now + FRAME_S, frames + 1
        time.sleep(WAIT_MS / 1000)
    ended = time.perf_counter()
    steady.append((ended, None))
    while not reader.idle:  # the last picture's reading, if any, is this video's
        time.sleep(0.005)
    reader.take()
    entered = started + video.entered_s
    spans = list(zip(steady, steady[1:], strict=False))  # ((from, number), (until, _))
    right = [max(t, entered) - entered for (t, number), (until, _) in spans
             if number == video.number and until > entered]
    wrong = max((until - t for (t, number), (until, _) in spans
                 if number not in (None, video.number)), default=0.0)
    return Watched(video.number, right[0] if right else float("inf"), wrong,
                   frames, ended - started, readings, ages)


def report(results: list[Watched]) -> None:
    frames = sum(r.frames for r in results)
    seconds = sum(r.seconds for r in results)
    ages = [a for r in results for a in r.ages]
    found = np.array([r.steady_after_s for r in results])
    in_time = float(np.mean(found <= 1.0))
    print(f"  frames drawn: {frames / seconds:.1f} a second (target >= 25); picture age on "
          f"screen {percentiles(ages)}, at most {1000 * max(ages):.0f} ms (target <= 100 ms)")
    print(f"  readings: {sum(r.readings for r in results) / seconds:.1f} a second")
    print(f"  right number steady within 1 s: {100 * in_time:.1f} % of {len(results)} (target "
          f">= 95 %); ever: {100 * np.mean(np.isfinite(found)):.1f} %; time to it, median "
          f"{np.median(found[np.isfinite(found)]) if np.isfinite(found).any() else np.nan:.2f} s")
    worst = max(r.wrong_steady_s for r in results)
    print(f"  a wrong number steady: at most {worst:.2f} s (target <= 0.5 s); in "
          f"{sum(r.wrong_steady_s > 0 for r in results)} of {len(results)} videos")
    for length in sorted({len(r.number) for r in results}):
        of_length = [r for r in results if len(r.number) == length]
        share = np.mean([r.steady_after_s <= 1.0 for r in of_length])
        print(f"    {length} digit(s): {100 * share:5.1f} % within 1 s ({len(of_length)} videos)")


def main(argv: list[str] | None = None) -> int:
    parser = parser_for(__doc__)
    add_weights(parser)
    parser.add_argument("--count", type=int, default=40, help="videos (default 40)")
    add_fold(parser, "whose numbers: the benchmark's writers, or the tuning fold's")
    add_load(parser, "busy-loop processes beside it (default 0)")
    args = parser.parse_args(argv)
    writers = BENCHMARK_WRITERS if args.fold == "benchmark" else \
        writer_folds()[PENDIGITS_TUNING_FOLD].heldout
    classifier = load_classifier(Path(args.weights) if args.weights else None)
    with tempfile.TemporaryDirectory() as folder:
        videos = make_videos(Path(folder), args.count, writers, SEED + (args.fold == "tune"))
        print(f"camera benchmark: {len(videos)} videos of {args.fold} writers' numbers, "
              f"{SIZE[0]}x{SIZE[1]} at {FPS} frames a second, model {classifier.name}, "
              f"{args.load} busy-loop process(es) beside it")
        reader = ReadingWorker()
        with busy_cores(args.load):
            results = [watch(classifier, reader, video) for video in videos]
        reader.close()
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
