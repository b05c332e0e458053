"""The real-time app's state, in parts with one job each, and the keys and mouse that change it.

- the drawing (digitnet.drawing.Drawing): strokes, brush, undo;
- the recognition schedule (`RecognitionSchedule`): what to read and when;
- the reading on show (digitnet.reading.Reading), the model that made it, and which of its
  digits the bars show (`selected`);
- teaching (digitnet.teaching.Teaching): the user's samples, fine-tuning, the status line;
- the verbose log (digitnet.events.EventLog).

Everything here is plain Python and numpy, so tests drive it without a window: mouse events
go to `AppState.on_mouse` with the layout of the frame they refer to, keys go through the one
KEYS table, and `tick` is what the loop does between frames. digitnet.window is the thin
loop that shows frames, feeds events in and prints the log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING

import cv2
import numpy as np

from digitnet.drawing import DEFAULT_BRUSH, Drawing
from digitnet.events import EventLog
from digitnet.layout import number_view
from digitnet.reading import BLANK, Reading, read_sketch, sketch_stretches
from digitnet.strokes import Sketch
from digitnet.teaching import Teaching

if TYPE_CHECKING:
    from digitnet.background import BackgroundFinetune, BackgroundLoad
    from digitnet.drawing import Stroke
    from digitnet.layout import Layout
    from digitnet.recognizer import Recognizer
    from digitnet.samples import SampleStore

LIVE_INTERVAL_S = 0.1  # while a stroke is drawn, read it at most this often: drawing never waits


class RecognitionSchedule:
    """When to read the drawing: at once when asked (mouse-up, a key, a new model), and while a
    stroke is being drawn, whenever it changed, at most every LIVE_INTERVAL_S."""

    def __init__(self) -> None:
        self._request: str | None = None  # the trigger of a reading asked for
        self._read_version = -1  # the drawing's version when last read
        self._last_read = -float("inf")

    def request(self, trigger: str) -> None:
        self._request = trigger

    def due(self, drawing: Drawing, now: float) -> str | None:
        """The trigger of the reading to make now, if any: requested ones first, then live ones."""
        if self._request:
            return self._request
        changed = drawing.version != self._read_version
        if drawing.in_stroke and changed and now - self._last_read >= LIVE_INTERVAL_S:
            return "live"
        return None

    def done(self, drawing: Drawing, now: float) -> None:
        self._request, self._read_version, self._last_read = None, drawing.version, now


class AppState:
    """What the window shows, and every change the user can make to it.

    The model is either handed in (`recognizer`) or still `loading` in the background; until
    it is ready, drawing works and readings wait.
    """

    def __init__(self, recognizer: Recognizer | None = None, *,
                 loading: BackgroundLoad | None = None, brush: float = DEFAULT_BRUSH,
                 samples: SampleStore | None = None, finetuner: BackgroundFinetune | None = None):
        self.recognizer = recognizer  # the model in use: None while loading; fine-tuning swaps it
        self.loading = loading
        self.drawing = Drawing(brush=brush)
        self.schedule = RecognitionSchedule()
        self.reading: Reading = BLANK  # what the model read in the drawing, as last asked
        self.read_size = (0, 0)  # the canvas size the reading's boxes are in, pixels
        self._picked: tuple[int, int] | None = None  # a part clicked in the strip, drawing.version
        self.events = EventLog()
        self.teaching = Teaching(self.events, samples, finetuner)
        self.running = True
        self._shown_changes = 0  # changes to the frame besides the drawing's and the status's

    @property
    def version(self) -> int:
        """Changes whenever the frame would look different."""
        return self.drawing.version + self.teaching.status.version + self._shown_changes

    # the loop

    def tick(self, now: float) -> None:
        """Between two frames: take news from the background, then read the drawing if due."""
        if self.loading is not None and (loaded := self.loading.take()):
            self.loading = None
            self.events.ready(loaded.recognizer.name, loaded.seconds)
            self.use_model(loaded.recognizer)
        if tuned := self.teaching.poll():
            self.use_model(tuned)
        if self.recognizer is not None and (trigger := self.schedule.due(self.drawing, now)):
            self.recognize(trigger, now)

    def use_model(self, recognizer: Recognizer) -> None:
        """Put a model in use; the drawing on show, if any, is read again by it."""
        self.recognizer = recognizer
        self._shown_changes += 1
        if not self.drawing.blank:
            self.schedule.request("model")

    def recognize(self, trigger: str, now: float) -> None:
        """Read the drawing as drawn, and show the result (needs a model)."""
        assert self.recognizer is not None, "recognize() before the model is ready"
        start = time.perf_counter()
        sketch = self.sketch()
        self.reading, self.read_size = read_sketch(self.recognizer, sketch), sketch.size
        self.events.prediction(self.reading, time.perf_counter() - start, trigger)
        self.schedule.done(self.drawing, now)
        self._shown_changes += 1

    def sketch(self) -> Sketch:
        """The drawing as the reading takes it: strokes, canvas size, brush."""
        drawing = self.drawing
        return Sketch(tuple(drawing.visible_strokes()), drawing.canvas_size, drawing.brush)

    @property
    def selected(self) -> int | None:
        """Which part of the reading the bars show: the one clicked in the strip since the
        drawing last changed, else the one being drawn; None when nothing is read."""
        count = len(self.reading.digits)
        if not count:
            return None
        if self._picked is not None and self._picked[1] == self.drawing.version:
            return min(self._picked[0], count - 1)
        strokes = self.drawing.visible_strokes()
        return part_drawn(self.reading, strokes[-1], self.read_size) if strokes else 0

    # mouse

    def on_mouse(self, event: int, x: int, y: int, flags: int, layout: Layout) -> None:
        """A mouse event at frame pixel (x, y) of a frame laid out as `layout`.

        The left button draws strokes that start on the canvas. Points are kept in canvas
        units, clipped to the canvas, so a stroke that leaves it runs along its edge. A move
        without the button down ends a stroke whose release was lost. Starting a stroke clears
        the status line: its message was about what came before. A click on a digit in the
        strip puts it in the bars.
        """
        drawing, canvas = self.drawing, layout.canvas
        if event == cv2.EVENT_LBUTTONDOWN and canvas.contains(x, y):
            drawing.begin(canvas.to_units(x, y), canvas.size)
            if self.teaching.status.text:
                self.teaching.status.set("")
        elif event == cv2.EVENT_LBUTTONDOWN:
            self._pick(x, y, layout)
        elif event == cv2.EVENT_MOUSEMOVE and drawing.in_stroke and flags & cv2.EVENT_FLAG_LBUTTON:
            drawing.extend(canvas.to_units(x, y), canvas.size)
        elif event in (cv2.EVENT_LBUTTONUP, cv2.EVENT_MOUSEMOVE) and drawing.in_stroke:
            drawing.end()
            self.schedule.request("mouseup")

    def _pick(self, x: int, y: int, layout: Layout) -> None:
        """Select the part of a number whose cell in the strip holds (x, y), if any."""
        count = len(self.reading.digits)
        cells = number_view(layout, count).cells if count > 1 else ()
        for index, cell in enumerate(cells):
            if cell.contains(x, y):
                self._picked = (index, self.drawing.version)
                self._shown_changes += 1

    # keys

    def clear(self) -> None:
        self.drawing.clear()
        self.schedule.request("key")
        self.events.clear()

    def undo(self) -> None:
        if self.drawing.undo():
            self.schedule.request("key")
            self.events.undo()

    def thinner(self) -> None:
        self._brush_changed(self.drawing.thinner())

    def thicker(self) -> None:
        self._brush_changed(self.drawing.thicker())

    def _brush_changed(self, changed: bool) -> None:
        if changed:
            self.schedule.request("key")  # the ink the network sees changes too
            self.events.brush(self.drawing.brush)

    def request_recognition(self) -> None:
        self.schedule.request("key")

    def save_sample(self, label: int) -> None:
        """Save the drawing as a sample of `label`, then clear the canvas.

        Clearing lets the next sample be drawn at once: people save several of a digit in a
        row, and the saved drawing is safe in the store, while the status line says so. A
        drawing of several digits is refused: it would teach the model a number as one digit.
        """
        drawing = self.drawing
        if self.digits_drawn() > 1:
            self.teaching.status.set("not saved: draw one digit to save a sample", error=True)
            return
        if self.teaching.save(drawing, label):
            drawing.clear()
            self.schedule.request("key")

    def digits_drawn(self) -> int:
        """How many digits the drawing holds, as the readout counts them (while the model
        loads, as the strokes group, before a model's choice)."""
        sketch = self.sketch()
        if self.recognizer is not None:
            return len(read_sketch(self.recognizer, sketch).digits)
        return sum(len(stretch.shape) - 1 for stretch in sketch_stretches(sketch))

    def start_finetune(self) -> None:
        self.teaching.start_finetune(self.recognizer)

    def quit(self) -> None:
        """Stop; a fine-tuning run is asked to stop too."""
        self.teaching.stop()
        self.running = False
        self.events.exit()

    def on_key(self, code: int) -> None:
        """A key code from cv2.waitKey; keys not in KEYS are ignored."""
        for binding in KEYS:
            if code in binding.codes:
                binding.action(self, code)
                return


def part_drawn(reading: Reading, stroke: Stroke, size: tuple[int, int]) -> int:
    """The part of `reading` (boxes in pixels of a canvas of `size`) that `stroke` (canvas
    units) belongs to: the one whose box holds its centre (of touching digits' boxes, the one
    centred nearer), else the nearest."""
    points = np.asarray(stroke, np.float64).reshape(-1, 2) * size
    x, y = (points.min(0) + points.max(0)) / 2

    def distance(index: int) -> tuple[float, float]:
        box = reading.digits[index].box
        outside = np.hypot(max(box.left - x, 0.0, x - box.right),
                           max(box.top - y, 0.0, y - box.bottom))
        return float(outside), abs(box.left + box.width / 2 - x)

    return min(range(len(reading.digits)), key=distance)


@dataclass(frozen=True)
class Binding:
    key: str  # as the help line names it
    does: str  # as the help line describes it
    explains: str  # what it does, in a sentence for --help
    codes: tuple[int, ...]  # what cv2.waitKey returns for it
    action: Callable[[AppState, int], None]  # called with the state and the key's code


def _codes(*chars: str) -> tuple[int, ...]:
    return tuple(ord(c) for c in chars)


# The one table of keys: the key handler, the help line and --help all read it.
KEYS: tuple[Binding, ...] = (
    Binding("S", "classify", "classify the drawing now (releasing the mouse button does too)",
            _codes("s", "S"), lambda app, key: app.request_recognition()),
    Binding("C", "clear", "clear the canvas", _codes("c", "C"), lambda app, key: app.clear()),
    # Z, and Backspace (8, or 127 on some systems)
    Binding("Z", "undo", "undo the last stroke (Backspace does too)",
            _codes("z", "Z", "\b", "\x7f"), lambda app, key: app.undo()),
    Binding("[", "brush", "a thinner brush", _codes("["), lambda app, key: app.thinner()),
    Binding("]", "brush", "a thicker brush", _codes("]"), lambda app, key: app.thicker()),
    Binding("0-9", "save", "save the drawing as a sample of that digit, for F to learn from",
            _codes(*"0123456789"), lambda app, key: app.save_sample(int(chr(key)))),
    Binding("F", "fine-tune", "fine-tune the model in use on the saved samples, in the "
            "background; the app switches to the new model only if it reads the samples held "
            "aside at least as well and MNIST about as well (the status line says which)",
            _codes("f", "F"), lambda app, key: app.start_finetune()),
    Binding("Esc", "quit", "quit (the window's close button does too)", _codes("\x1b"),
            lambda app, key: app.quit()),
)


def help_line() -> str:
    """'S classify   C clear ...': neighbouring keys that do alike share one entry ('[ ] brush')."""
    groups = groupby(KEYS, lambda b: b.does)
    return "   ".join(" ".join(b.key for b in group) + " " + does for does, group in groups)
