"""The real-time app's state: the drawing, the brush, the prediction on show, keys and mouse.

Everything here is plain Python and numpy, so tests drive it without a window: the mouse
callback is `AppState.on_mouse` (what cv2.setMouseCallback calls), keys go through the one
KEYS table, and each event the app logs is queued in `AppState.log`. realtime_opencv.py is
the thin loop that shows frames, feeds events in and prints the log.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING, Callable, NamedTuple

import cv2
import numpy as np

from digitnet.drawing import DEFAULT_BRUSH, Stroke, render_strokes
from digitnet.layout import Layout
from digitnet.preprocess import to_mnist

if TYPE_CHECKING:
    from digitnet.recognizer import Prediction, Recognizer

LIVE_INTERVAL_S = 0.1  # while a stroke is drawn, recognise at most this often: drawing never waits long
BRUSH_STEP = 1.25  # `[` and `]` divide or multiply the brush diameter by this
BRUSH_RANGE = (0.02, 0.16)  # brush diameter limits, as fractions of the canvas side


class Recognition(NamedTuple):
    image: np.ndarray | None  # what to_mnist made of the canvas: the network's input; None if blank
    prediction: Prediction | None  # None if blank


def recognize(recognizer: Recognizer, canvas: np.ndarray) -> Recognition:
    """The canvas (white ink on black) through the canvas transform and the model."""
    image = to_mnist(canvas, invert=False) if canvas.size else None  # a window shrunk to nothing has no canvas
    if image is None:
        return Recognition(None, None)
    return Recognition(image, recognizer.classify_images(image[None])[0])


class AppState:
    """What the window shows, and every change the user can make to it."""

    def __init__(self, brush: float = DEFAULT_BRUSH):
        self.strokes: list[Stroke] = []
        self.current: list[tuple[float, float]] | None = None  # the stroke being drawn
        self.brush = brush
        self.recognition = Recognition(None, None)
        self.layout: Layout | None = None  # the layout of the frame on screen: mouse positions refer to it
        self.running = True
        self.version = 0  # changes whenever the frame would look different
        self.log: list[str] = []  # event lines for the verbose log, oldest first
        self._request: str | None = None  # trigger of a requested recognition
        self._stale = False  # the drawing changed since the last recognition
        self._last_recognition = -np.inf

    # drawing

    def visible_strokes(self) -> list[Stroke]:
        if self.current is None:
            return self.strokes
        return [*self.strokes, np.array(self.current, np.float32)]

    def on_mouse(self, event: int, x: int, y: int, flags: int, param: object = None) -> None:
        """cv2.setMouseCallback's handler: the left button draws strokes that start on the canvas.

        Points are kept in canvas units, clipped to the canvas, so a stroke that leaves it runs
        along its edge. A move without the button down ends a stroke whose release was lost.
        """
        if self.layout is None:
            return
        canvas = self.layout.canvas
        if event == cv2.EVENT_LBUTTONDOWN and canvas.contains(x, y):
            self.current = [canvas.to_units(x, y)]
            self._drawing_changed()
        elif event == cv2.EVENT_MOUSEMOVE and self.current is not None and flags & cv2.EVENT_FLAG_LBUTTON:
            point = canvas.to_units(x, y)
            if point != self.current[-1]:
                self.current.append(point)
                self._drawing_changed()
        elif event in (cv2.EVENT_LBUTTONUP, cv2.EVENT_MOUSEMOVE) and self.current is not None:
            self.strokes.append(np.array(self.current, np.float32))
            self.current = None
            self._drawing_changed("mouseup")

    def clear(self) -> None:
        self.strokes, self.current = [], None
        self._drawing_changed("key")
        self.log.append("clear")

    def undo(self) -> None:
        """Remove the stroke being drawn, else the last one."""
        if self.current is not None:
            self.current = None
        elif self.strokes:
            self.strokes.pop()
        else:
            return
        self._drawing_changed("key")
        self.log.append("undo")

    def thinner(self) -> None:
        self._set_brush(self.brush / BRUSH_STEP)

    def thicker(self) -> None:
        self._set_brush(self.brush * BRUSH_STEP)

    def _set_brush(self, brush: float) -> None:
        brush = min(max(brush, BRUSH_RANGE[0]), BRUSH_RANGE[1])
        if brush != self.brush:
            self.brush = brush
            self._drawing_changed("key")  # the ink the network sees changes too
            self.log.append(f"brush size={brush:.4f}")

    def _drawing_changed(self, request: str | None = None) -> None:
        self._stale = True
        if request:
            self._request = request
        self.version += 1

    # recognition

    def request_recognition(self) -> None:
        self._request = "key"

    def recognition_due(self, now: float) -> str | None:
        """The trigger of the recognition to run now, if any: requested ones first, then live ones, throttled."""
        if self._request:
            return self._request
        if self.current is not None and self._stale and now - self._last_recognition >= LIVE_INTERVAL_S:
            return "live"
        return None

    def recognize(self, recognizer: Recognizer, trigger: str, now: float) -> None:
        """Recognise the drawing as the canvas on screen shows it (needs `layout`), and show the result."""
        canvas = render_canvas(self, self.layout.canvas.size)
        start = time.perf_counter()
        self.recognition = recognize(recognizer, canvas)
        latency_ms = 1000 * (time.perf_counter() - start)
        self._request, self._stale, self._last_recognition = None, False, now
        prediction = self.recognition.prediction
        digit, confidence = (prediction.digit, prediction.confidence) if prediction else ("none", 0.0)
        self.log.append(f"prediction digit={digit} confidence={confidence:.3f} "
                        f"latency_ms={latency_ms:.1f} trigger={trigger}")
        self.version += 1

    # the app

    def quit(self) -> None:
        self.running = False
        self.log.append("exit")

    def take_log(self) -> list[str]:
        lines, self.log = self.log, []
        return lines

    def on_key(self, code: int) -> None:
        """A key code from cv2.waitKey; keys not in KEYS are ignored."""
        for binding in KEYS:
            if code in binding.codes:
                binding.action(self)
                return


def render_canvas(state: AppState, size: tuple[int, int]) -> np.ndarray:
    """The drawing as the canvas shows it and the network reads it: white ink on black, uint8."""
    return render_strokes(state.visible_strokes(), size, state.brush)


@dataclass(frozen=True)
class Binding:
    key: str  # as the help line names it
    does: str  # as the help line describes it
    codes: tuple[int, ...]  # what cv2.waitKey returns for it
    action: Callable[[AppState], None]


def _codes(*chars: str) -> tuple[int, ...]:
    return tuple(ord(c) for c in chars)


# The one table of keys: the key handler and the help line both read it.
KEYS: tuple[Binding, ...] = (
    Binding("S", "classify", _codes("s", "S"), AppState.request_recognition),
    Binding("C", "clear", _codes("c", "C"), AppState.clear),
    Binding("Z", "undo", _codes("z", "Z", "\b", "\x7f"), AppState.undo),  # also Backspace (8, or 127 on macOS)
    Binding("[", "brush", _codes("["), AppState.thinner),
    Binding("]", "brush", _codes("]"), AppState.thicker),
    Binding("Esc", "quit", _codes("\x1b"), AppState.quit),
)


def help_line() -> str:
    """'S classify   C clear ...': neighbouring keys that do alike share one entry ('[ ] brush')."""
    return "   ".join(" ".join(b.key for b in group) + " " + does for does, group in groupby(KEYS, lambda b: b.does))
