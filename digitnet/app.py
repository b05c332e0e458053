"""The real-time app's state: the drawing, the brush, the model and its prediction, samples, keys and mouse.

Everything here is plain Python and numpy, so tests drive it without a window: the mouse
callback is `AppState.on_mouse` (what cv2.setMouseCallback calls), keys go through the one
KEYS table, and each event the app logs is queued in `AppState.log`. The sample store and the
background fine-tuning are handed in, so tests give it a temporary folder and a stand-in
fine-tune. realtime_opencv.py is the thin loop that shows frames, feeds events in and prints the log.
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
from digitnet.samples import SampleError, SampleStore

if TYPE_CHECKING:
    from digitnet.background import BackgroundFinetune
    from digitnet.recognizer import Prediction, Recognizer

LIVE_INTERVAL_S = 0.1  # while a stroke is drawn, recognise at most this often: drawing never waits long
BRUSH_STEP = 1.25  # `[` and `]` divide or multiply the brush diameter by this
BRUSH_RANGE = (0.02, 0.16)  # brush diameter limits, as fractions of the canvas side
DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


class Recognition(NamedTuple):
    image: np.ndarray | None  # what to_mnist made of the canvas: the network's input; None if blank
    prediction: Prediction | None  # None if blank


def network_input(canvas: np.ndarray) -> np.ndarray | None:
    """The canvas (white ink on black) through the canvas transform: 28x28 in [0, 1], or None if blank."""
    return to_mnist(canvas, invert=False) if canvas.size else None  # a window shrunk to nothing has no canvas


def recognize(recognizer: Recognizer, canvas: np.ndarray) -> Recognition:
    """The canvas through the canvas transform and the model."""
    image = network_input(canvas)
    if image is None:
        return Recognition(None, None)
    return Recognition(image, recognizer.classify_images(image[None])[0])


def how_many(count: int, digit: int) -> str:
    """'1 seven', '12 sevens', '2 sixes'."""
    name = DIGIT_NAMES[digit]
    return f"{count} {name}" if count == 1 else f"{count} {name}{'es' if name.endswith('x') else 's'}"


class AppState:
    """What the window shows, and every change the user can make to it.

    Without a sample store or a fine-tuner (a benchmark, say) their keys only say they are off.
    """

    def __init__(self, recognizer: Recognizer, brush: float = DEFAULT_BRUSH, samples: SampleStore | None = None,
                 finetuner: BackgroundFinetune | None = None):
        self.recognizer = recognizer  # the model in use: fine-tuning replaces it
        self.strokes: list[Stroke] = []
        self.current: list[tuple[float, float]] | None = None  # the stroke being drawn
        self.brush = brush
        self.samples = samples
        self.finetuner = finetuner
        self.counts = samples.counts() if samples else [0] * 10  # saved samples per digit
        self.status = f"samples are saved in {samples.folder}" if samples else ""  # the last action's outcome
        self.status_error = False  # the status says something went wrong
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
        self._clear_drawing()
        self.log.append("clear")

    def _clear_drawing(self) -> None:
        self.strokes, self.current = [], None
        self._drawing_changed("key")

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

    def recognize(self, trigger: str, now: float) -> None:
        """Recognise the drawing as the canvas on screen shows it (needs `layout`), and show the result."""
        canvas = render_canvas(self, self.layout.canvas.size)
        start = time.perf_counter()
        self.recognition = recognize(self.recognizer, canvas)
        latency_ms = 1000 * (time.perf_counter() - start)
        self._request, self._stale, self._last_recognition = None, False, now
        prediction = self.recognition.prediction
        digit, confidence = (prediction.digit, prediction.confidence) if prediction else ("none", 0.0)
        self.log.append(f"prediction digit={digit} confidence={confidence:.3f} "
                        f"latency_ms={latency_ms:.1f} trigger={trigger}")
        self.version += 1

    # teaching it your handwriting

    def save_sample(self, label: int) -> None:
        """Save the drawing, as the network reads it, as a sample of `label`; then clear the canvas.

        Clearing lets the next sample be drawn at once: people save several of a digit in a row,
        and the saved drawing is safe in the store, while the status line says what became of it.
        """
        if self.samples is None:
            self._set_status("saving samples is off", error=True)
            return
        size = self.layout.canvas.size
        image = network_input(render_canvas(self, size))
        if image is None:
            self._set_status("nothing to save: draw a digit, then press its key", error=True)
            return
        try:
            path = self.samples.save(self.visible_strokes(), image, label, canvas_size=size, brush=self.brush)
        except SampleError as e:
            self._set_status(f"not saved: {e}", error=True)
            self.log.append(f"sample failed error={e}")
            return
        self.counts = self.samples.counts()
        self._set_status(f"saved as {label} - {how_many(self.counts[label], label)} saved")
        self.log.append(f"sample digit={label} path={path}")
        self._clear_drawing()

    def start_finetune(self) -> None:
        """Fine-tune the model in use on the saved samples, in the background: drawing goes on meanwhile."""
        if self.finetuner is None:
            self._set_status("fine-tuning is off", error=True)
        elif not self.finetuner.start(self.recognizer.meta["path"]):
            self._set_status("fine-tuning is already running")
        else:
            self._set_status("fine-tuning started: keep drawing meanwhile")
            self.log.append("finetune started")

    def poll_finetune(self) -> None:
        """Show what fine-tuning reported since the last call; when it is done, put its model in use."""
        if self.finetuner is None:
            return
        for news in self.finetuner.news():
            if news.kind == "progress":
                self._set_status(f"fine-tuning: {news.message}")
            elif news.kind == "done":
                self.recognizer = news.recognizer
                self._request = "model"  # the drawing on show, read again by the new model
                self._set_status(f"fine-tuned, now in use: {news.message}")
                self.log.append(f"finetune done weights={news.weights}")
            else:
                self._set_status(f"fine-tuning failed: {news.message}", error=True)
                self.log.append(f"finetune failed error={news.message}")

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status, self.status_error = text, error
        self.version += 1

    # the app

    def quit(self) -> None:
        """Stop; a fine-tuning run is asked to stop too, and the app waits for it before it exits."""
        if self.finetuner is not None and self.finetuner.running:
            self.finetuner.stop()
            self.log.append("finetune stopping")
        self.running = False
        self.log.append("exit")

    def take_log(self) -> list[str]:
        lines, self.log = self.log, []
        return lines

    def on_key(self, code: int) -> None:
        """A key code from cv2.waitKey; keys not in KEYS are ignored."""
        for binding in KEYS:
            if code in binding.codes:
                binding.action(self, code)
                return


def render_canvas(state: AppState, size: tuple[int, int]) -> np.ndarray:
    """The drawing as the canvas shows it and the network reads it: white ink on black, uint8."""
    return render_strokes(state.visible_strokes(), size, state.brush)


@dataclass(frozen=True)
class Binding:
    key: str  # as the help line names it
    does: str  # as the help line describes it
    codes: tuple[int, ...]  # what cv2.waitKey returns for it
    action: Callable[[AppState, int], None]  # called with the state and the code of the key pressed


def _codes(*chars: str) -> tuple[int, ...]:
    return tuple(ord(c) for c in chars)


# The one table of keys: the key handler and the help line both read it.
KEYS: tuple[Binding, ...] = (
    Binding("S", "classify", _codes("s", "S"), lambda app, key: app.request_recognition()),
    Binding("C", "clear", _codes("c", "C"), lambda app, key: app.clear()),
    Binding("Z", "undo", _codes("z", "Z", "\b", "\x7f"), lambda app, key: app.undo()),  # also Backspace: 8, 127
    Binding("[", "brush", _codes("["), lambda app, key: app.thinner()),
    Binding("]", "brush", _codes("]"), lambda app, key: app.thicker()),
    Binding("0-9", "save", _codes(*"0123456789"), lambda app, key: app.save_sample(int(chr(key)))),
    Binding("F", "fine-tune", _codes("f", "F"), lambda app, key: app.start_finetune()),
    Binding("Esc", "quit", _codes("\x1b"), lambda app, key: app.quit()),
)


def help_line() -> str:
    """'S classify   C clear ...': neighbouring keys that do alike share one entry ('[ ] brush')."""
    return "   ".join(" ".join(b.key for b in group) + " " + does for does, group in groupby(KEYS, lambda b: b.does))
