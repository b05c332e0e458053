"""The camera: pictures from a webcam or a video file, taken on a thread of their own, and the
number they show held steady while the paper shakes.

The feed never waits for the window or the reader: it keeps the newest picture, and the app
shows and reads whichever is newest when it is ready for one. A video file plays as a camera,
at its own frame rate (`loop` starts it again at its end), so tests and benchmarks drive the
same code a webcam does.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from digitnet import DigitnetError

NO_PICTURE_S = 3.0  # a camera that sends nothing for this long has stopped (or is unplugged)
STEADY_READINGS = 3  # a number is shown once this many readings in a row agree...
STEADY_WINDOW_S = 2.0  # ...within this long (a slow machine reads a picture in 0.2-0.4 s)
HOLD_S = 0.6  # a steady number stays on show this long after the last reading that agreed


class CameraError(DigitnetError):
    """No pictures can come: no camera at that index, a file that is not a video."""


@dataclass(frozen=True, eq=False)
class Picture:
    image: np.ndarray  # BGR uint8 [height, width, 3]
    number: int  # counts the feed's pictures from 0
    taken: float  # time.perf_counter() when it arrived

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.image.shape[1], self.image.shape[0]


def open_capture(source: str) -> tuple[cv2.VideoCapture, float | None]:
    """A camera by index ("0") or a video file, opened and checked to give a first picture:
    (the capture, the file's frames per second; None for a camera). CameraError if not."""
    is_index = source.isdigit()
    if not is_index and not Path(source).is_file():
        raise CameraError(f"{source}: no such video file (give a camera's index, e.g. 0, or "
                          "a video file)")
    with _stderr_silenced():  # OpenCV's and FFmpeg's own lines: the error below says it once
        capture = cv2.VideoCapture(int(source) if is_index else source)
    if not capture.isOpened():
        what = f"no camera at index {source}" if is_index else f"{source}: not a video file"
        raise CameraError(f"{what} (OpenCV could not open it)")
    fps = capture.get(cv2.CAP_PROP_FPS) if not is_index else 0.0
    return capture, (fps if 1 <= fps <= 240 else 30.0) if not is_index else None


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Nothing the C libraries write to the process's stderr shows meanwhile."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class CameraFeed:
    """The newest picture of a camera or video file, taken on a thread of its own.

    `problem` says, in one line, why pictures stopped coming (the camera unplugged, the video
    ended); the feed never raises once started.
    """

    def __init__(self, source: str, loop: bool = False):
        self.source, self.loop = source, loop
        self._capture, self._file_fps = open_capture(source)
        first_ok, first = self._capture.read()
        if not first_ok or first is None:
            self._capture.release()
            raise CameraError(f"{source}: gives no pictures" if source.isdigit()
                              else f"{source}: not a video file, or it holds no frames")
        self._lock = threading.Lock()
        self._newest = Picture(first, 0, time.perf_counter())
        self._arrivals: list[float] = [self._newest.taken]
        self.problem: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="digitnet-camera", daemon=True)
        self._thread.start()

    def newest(self) -> Picture:
        with self._lock:
            return self._newest

    def fps(self, now: float) -> float:
        """Pictures that arrived in the last second."""
        with self._lock:
            return float(sum(1 for t in self._arrivals if now - t <= 1.0))

    def close(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        start, played = time.perf_counter(), 1
        while not self._stop.is_set():
            if self._file_fps:  # a file plays at its own pace, as a camera would send it
                time.sleep(max(start + played / self._file_fps - time.perf_counter(), 0))
            ok, image = self._capture.read()
            if ok and image is not None:
                self._arrived(image, played)
                played += 1
            elif self._file_fps and self.loop and played > 1:
                self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                start, played = time.perf_counter(), 0
            elif self._file_fps:
                self.problem = f"the video ended after {played} frames"
                break
            elif time.perf_counter() - self.newest().taken > NO_PICTURE_S:
                self.problem = "the camera stopped sending pictures (unplugged?)"
                break
        self._capture.release()

    def _arrived(self, image: np.ndarray, played: int) -> None:
        now = time.perf_counter()
        with self._lock:
            self._newest = Picture(image, self._newest.number + 1, now)
            self._arrivals = [t for t in self._arrivals if now - t <= 1.0] + [now]


class SteadyNumber:
    """The number to show for a stream of readings: one that read the same STEADY_READINGS
    times in a row within STEADY_WINDOW_S, held for HOLD_S after the last reading that agreed
    (paper shakes, a reading misses); a changing or missing number is shown as such, never a
    flicker between guesses."""

    def __init__(self) -> None:
        self._recent: list[tuple[float, str | None]] = []  # (time, number read), oldest first
        self.shown: str | None = None  # the steady number, or None
        self._agreed = -float("inf")  # when a reading last agreed with `shown`

    def add(self, number: str | None, now: float) -> bool:
        """A reading's number (None: none, or not a number); True if the steady one changed."""
        self._recent = [(t, n) for t, n in self._recent if now - t <= STEADY_WINDOW_S]
        self._recent.append((now, number))
        last = [n for _, n in self._recent[-STEADY_READINGS:]]
        before = self.shown
        if number is not None and number == self.shown:
            self._agreed = now
        elif number is not None and len(last) == STEADY_READINGS and len(set(last)) == 1:
            self.shown, self._agreed = number, now
        elif now - self._agreed > HOLD_S:
            self.shown = None
        return self.shown != before

    @property
    def unsure(self) -> bool:
        """The newest reading differs from what is shown: the number is changing or missing."""
        return bool(self._recent) and self._recent[-1][1] != self.shown
