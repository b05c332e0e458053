"""The app without a window, for its tests: an AppState shown in a frame (Screen), stand-in
models that answer what a test needs, and ways to read back what a frame shows."""

from __future__ import annotations

import time
from dataclasses import fields
from pathlib import Path
from unittest import mock

import cv2
import numpy as np
import torch
from shapes import DIGITS

from digitnet.app.frame import frame_layout, render_frame
from digitnet.app.layout import Layout
from digitnet.app.state import AppState
from digitnet.app.style import ACCENT, BRUSH_DOT, MIN_TEXT_PX
from digitnet.common.box import Box
from digitnet.common.digits import NUM_CLASSES
from digitnet.common.prediction import Prediction
from digitnet.model.classifier import Classifier
from digitnet.model.weights import WeightsInfo, WeightsMetadata
from digitnet.reading.result import DigitReading

DOWN, MOVE, UP = cv2.EVENT_LBUTTONDOWN, cv2.EVENT_MOUSEMOVE, cv2.EVENT_LBUTTONUP
BUTTON = cv2.EVENT_FLAG_LBUTTON

SIZES = [(320, 240), (240, 320), (480, 360), (360, 640), (640, 480), (800, 600), (1280, 720),
         (720, 1280), (1280, 400), (400, 1280), (1920, 1080), (3840, 2160), (2160, 3840),
         (600, 600)]
TINY = [(1, 1), (16, 12), (40, 30), (100, 75), (200, 20), (20, 200)]

# from 320x240 up: everything legible
USABLE = [(1024, 640), *(size for size in SIZES if size[0] >= 320 and size[1] >= 240)]
THREE = (0.02,) * 3 + (0.82,) + (0.02,) * 6  # what the stand-in model answers
BOX = Box(0, 0, 10, 10)


class AnswersThree(torch.nn.Module):
    """A model that records each batch of 28x28 images it is shown and always answers THREE."""

    def __init__(self):
        super().__init__()
        self.seen: list[np.ndarray] = []

    def forward(self, images):
        self.seen.append(images[:, 0].numpy().copy())
        return torch.tensor(THREE).log().expand(len(images), -1)


class AnswersByPlace(AnswersThree):
    """Answers digit (i + 1) % 10 for the i-th image of a batch, at confidences[i] (0.82 past
    their end): each part of a number reads as a different digit."""

    def __init__(self, confidences: tuple[float, ...] = ()):
        super().__init__()
        self.confidences = confidences

    def forward(self, images):
        self.seen.append(images[:, 0].numpy().copy())
        probs = []
        for i in range(len(images)):
            confidence = self.confidences[i] if i < len(self.confidences) else 0.82
            row = [(1 - confidence) / (NUM_CLASSES - 1)] * NUM_CLASSES
            row[(i + 1) % NUM_CLASSES] = confidence
            probs.append(row)
        return torch.tensor(probs).log()


class StandIn(Classifier):
    """A real classifier (its reject threshold, so reading's transform and speck rule apply)
    around that model (by default AnswersThree): `seen` holds what the model was shown."""

    def __init__(self, path: str = "stand-in.pt", threshold: float | None = None,
                 reject: bool = True, model: AnswersThree | None = None):
        model = AnswersThree() if model is None else model
        info = WeightsInfo("stand-in", {}, WeightsMetadata(reject_threshold=threshold))
        super().__init__(model, info, Path(path), threads=None, reject=reject)
        self.seen = model.seen
        self.seen.clear()  # the warm-up's blank images


def by_place(*confidences: float, threshold: float | None = None) -> StandIn:
    return StandIn(threshold=threshold, model=AnswersByPlace(confidences))


class Screen:
    """An AppState shown in a frame of `size`, as the window's loop shows it: mouse events are
    given the canvas rectangle of that frame."""

    def __init__(self, size=(1280, 720), classifier=None, **parts):
        self.state = AppState(StandIn() if classifier is None else classifier, **parts)
        self.resize(size)

    def resize(self, size) -> None:
        self.layout = frame_layout(*size)
        self.state.canvas_px = min(self.layout.canvas.size)  # as the window tells it

    def mouse(self, event: int, x: int, y: int, flags: int = BUTTON) -> None:
        self.state.on_mouse(event, x, y, flags, self.layout)

    def pixel(self, u: float, v: float) -> tuple[int, int]:
        canvas = self.layout.canvas
        return canvas.left + round(u * canvas.width), canvas.top + round(v * canvas.height)

    def drag(self, points, steps: int = 1) -> None:
        """Press, move through `points` (canvas units, `steps` events per segment), release."""
        self.mouse(DOWN, *self.pixel(*points[0]))
        for (u0, v0), (u1, v1) in zip(points, points[1:], strict=False):
            for t in np.linspace(0, 1, steps + 1)[1:]:
                self.mouse(MOVE, *self.pixel(u0 + t * (u1 - u0), v0 + t * (v1 - v0)))
        self.mouse(UP, *self.pixel(*points[-1]))

    def draw(self, digit: int, steps: int = 3, place: tuple[int, int] = (0, 1)) -> None:
        """`digit` drawn in the `place[0]`-th of `place[1]` equal slots across the canvas."""
        for stroke in DIGITS[digit]:
            self.drag([in_slot(point, place) for point in stroke], steps)

    def draw_number(self, digits: str, steps: int = 3) -> None:
        for index, digit in enumerate(digits):
            self.draw(int(digit), steps, (index, len(digits)))

    def press(self, key: str | int) -> None:
        self.state.on_key(key if isinstance(key, int) else ord(key))

    def save(self, digit: str) -> None:
        """A digit key, then the loop's next tick: a sample is saved once the model has read
        the drawing (the stand-in reader reads at once)."""
        self.press(digit)
        self.state.tick(now=0.0)

    def frame(self) -> np.ndarray:
        return render_frame(self.state, self.layout)

    def canvas(self) -> np.ndarray:
        return self.state.drawing.render(self.layout.canvas.size)


def in_slot(point: tuple[float, float], place: tuple[int, int]) -> tuple[float, float]:
    """A point of a digit drawn on the whole canvas, moved into a slot of a number: the canvas
    split across into place[1] slots (a digit keeps its shape, smaller), place[0] the one.
    Digits are apart as people write them, not so close that grouping offers a model two
    neighbours as one (grouping.CLOSE_GAP)."""
    index, count = place
    if count == 1:
        return point
    u, v = point
    width = 0.9 / count
    scale = 0.6  # of the slot: a digit's ink spans about 0.2 to 0.8 of the whole canvas
    return (0.05 + (index + 0.5 + scale * (u - 0.5) / 0.6) * width,
            0.5 + (v - 0.5) * min(1.0, 2.4 * scale * width))


def part(prediction: Prediction) -> DigitReading:
    return DigitReading(np.zeros((28, 28)), prediction, BOX)


def read_now(state: AppState, trigger: str = "key") -> None:
    """Ask for a reading and let the loop make it (the stand-in reader reads at once)."""
    state.schedule.request(trigger)
    state.tick(now=0.0)


def logged(state: AppState) -> list[str]:
    """The log's lines since last asked, less the `stroke` lines (tested on their own)."""
    return [line for line in state.events.take() if not line.startswith("stroke ")]


def due(state: AppState, now: float = 0.0, reader_idle: bool = True) -> str | None:
    return state.schedule.due(state.drawing, now, reader_idle)


def click(screen: Screen, box: Box) -> None:
    x, y = box.left + box.width // 2, box.top + box.height // 2
    screen.mouse(DOWN, x, y)
    screen.mouse(UP, x, y, 0)


def tick_until(state: AppState, done, timeout: float = 30.0) -> None:
    """What the window's loop does each tick, until `done(state)`."""
    deadline = time.monotonic() + timeout
    while not done(state):
        assert time.monotonic() < deadline, f"still waiting; status: {state.teaching.status.text!r}"
        state.tick(time.monotonic())
        time.sleep(0.01)


def shows(frame: np.ndarray, box: Box, colour) -> bool:
    return bool(np.all(box.view(frame) == colour, axis=2).any())


def overlap(a: Box, b: Box) -> bool:
    return a.left < b.right and b.left < a.right and a.top < b.bottom and b.top < a.bottom


def parts(layout: Layout) -> dict[str, Box]:
    return {f.name: getattr(layout, f.name) for f in fields(layout) if f.name != "frame"}


def status_lines(layout: Layout) -> tuple[Box, Box]:
    box, line_h = layout.status, layout.samples.height
    return (Box(box.left, box.top, box.width, line_h),
            Box(box.left, box.bottom - line_h, box.width, line_h))


def bar_rows(frame: np.ndarray, bars: Box, colour) -> list[np.ndarray]:
    """Per digit's row of the bar chart: where the frame shows exactly `colour`."""
    match = np.all(frame == colour, axis=2)
    return [match[bars.top + round(d * bars.height / 10) :
                  bars.top + round((d + 1) * bars.height / 10),
                  bars.left : bars.right] for d in range(10)]


def accent_row(frame: np.ndarray, layout: Layout) -> int:
    """The digit whose bar stands out in the bar chart."""
    rows = bar_rows(frame, layout.bars, ACCENT)
    (row,) = [d for d in range(NUM_CLASSES) if rows[d].mean() > 0.2]
    return row


def texts_drawn(screen: Screen, colour=None) -> list[tuple[str, Box]]:
    """Each text a frame shows (in `colour`, if given) and the box its ink covers, in frame
    pixels; asserts that each text drawn is legible: a digit at its size at least MIN_TEXT_PX
    tall. Text drawn over by a status that needs more than its lines is not on show."""
    drawn = []
    real = cv2.putText

    def record(image, text, origin, font, scale, ink, thickness, line_type):
        drawn.append((text, origin, scale, thickness, tuple(ink)))
        return real(image, text, origin, font, scale, ink, thickness, line_type)

    with mock.patch.object(cv2, "putText", record):
        frame = screen.frame()
    small = [(text, digit_height(scale, thickness)) for text, _, scale, thickness, _ in drawn
             if digit_height(scale, thickness) < MIN_TEXT_PX]
    assert not small
    boxes = [(text, ink_box(text, origin, scale, thickness), ink)
             for text, origin, scale, thickness, ink in drawn]
    return [(text, box) for text, box, ink in boxes
            if shows(frame, box, ink) and colour in (None, ink)]


def ink_box(text: str, origin: tuple[int, int], scale: float, thickness: int) -> Box:
    """Where putText's ink lies for this text drawn at `origin` (its baseline's left end)."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    (width, height), below = cv2.getTextSize(text, font, scale, thickness)
    pad = thickness + 4
    patch = np.zeros((height + below + 2 * pad, width + 2 * pad), np.uint8)
    cv2.putText(patch, text, (pad, pad + height), font, scale, 255, thickness, cv2.LINE_AA)
    rows, cols = np.flatnonzero(patch.any(axis=1)), np.flatnonzero(patch.any(axis=0))
    return Box(origin[0] - pad + cols[0], origin[1] - pad - height + rows[0],
               cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1)


def digit_height(scale: float, thickness: int) -> int:
    """How tall an "8" is drawn at this scale, in pixels: rows holding its ink."""
    image = np.zeros((400, 400), np.uint8)
    cv2.putText(image, "8", (10, 350), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thickness,
                cv2.LINE_AA)
    rows = np.flatnonzero(image.max(axis=1) > 127)  # half-lit edges do not make a digit taller
    return int(rows[-1] - rows[0] + 1)


def assert_canvas_shows_the_ink(frame: np.ndarray, screen: Screen) -> None:
    """The canvas on show is the drawing as the network reads it: the ink over whatever is
    drawn under it, and nothing but the ink outside the corner that shows the brush."""
    shown, ink = screen.layout.canvas.view(frame), screen.canvas()
    assert ink.any() and (shown >= ink[..., None]).all() and (shown[ink == 255] == 255).all()
    h, w = ink.shape
    np.testing.assert_array_equal(shown[: round(0.85 * h)], cv2.cvtColor(ink, cv2.COLOR_GRAY2BGR)[
        : round(0.85 * h)])
    canvas = screen.layout.canvas
    assert shows(frame, Box(canvas.left, canvas.top + round(0.85 * h), w, h - round(0.85 * h)),
                 BRUSH_DOT)
