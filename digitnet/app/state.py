"""The real-time app's state, in parts with one job each, and the keys and mouse that change it.

- the drawing (digitnet.app.drawing.Drawing): strokes, brush, undo;
- the reading schedule (`ReadingSchedule`): what to read and when; the reader
  (digitnet.app.workers.ReadingWorker in the window) reads on a thread of its own;
- the reading on show (digitnet.reading.read.Reading), the model that made it, and which of its
  digits the bars show (`selected`);
- teaching (digitnet.app.teaching.Teaching): the user's samples, fine-tuning, the status line;
  a sample waits for its reading as a digitnet.app.saving.PendingSave;
- the verbose log (digitnet.app.events.EventLog).

Everything here is plain Python and numpy, so tests drive it without a window: mouse events
go to `AppState.on_mouse` with the layout of the frame they refer to, keys go through the one
KEYS table, and `tick` is what the loop does between frames. digitnet.app.window is the thin
loop that shows frames, feeds events in and prints the log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from digitnet.app.drawing import Drawing
from digitnet.app.events import EventLog
from digitnet.app.keys import KEYS
from digitnet.app.layout import number_view
from digitnet.app.saving import LastSave, PendingSave
from digitnet.app.schedule import ReadingSchedule
from digitnet.app.teaching import Teaching
from digitnet.app.watching import Watching
from digitnet.app.workers import InlineReader, ReadDone, Reader, ReadRequest
from digitnet.common.sketch import DEFAULT_BRUSH, Sketch, Stroke, brush_pixels
from digitnet.reading.result import BLANK, Reading

if TYPE_CHECKING:
    from digitnet.app.camera import Picture
    from digitnet.app.layout import Layout
    from digitnet.app.watching import Feed
    from digitnet.app.workers import BackgroundFinetune, BackgroundLoad
    from digitnet.data.samples import SampleStore
    from digitnet.model.classifier import Classifier


class AppState:
    """What the window shows, and every change the user can make to it.

    The model is either handed in (`classifier`) or still `loading` in the background; until
    it is ready, drawing works and readings wait. Readings are made by `reader`: the window
    hands in a ReadingWorker, so the model never runs on the window's thread; by default they
    are made at once (InlineReader), as tests and benchmarks want.
    """

    def __init__(self, classifier: Classifier | None = None, *,
                 loading: BackgroundLoad | None = None, brush: float = DEFAULT_BRUSH,
                 samples: SampleStore | None = None, finetuner: BackgroundFinetune | None = None,
                 reader: Reader | None = None, camera: Feed | None = None):
        self.classifier = classifier  # the model in use: None while loading; fine-tuning swaps it
        self.loading = loading
        self.reader: Reader = InlineReader() if reader is None else reader
        self.drawing = Drawing(brush=brush)
        self.schedule = ReadingSchedule()
        self.reading: Reading = BLANK  # the newest reading of the drawing's generation
        self.read_size = (0, 0)  # the canvas size the reading's boxes are in, pixels
        self.read_generation = self.read_version = 0  # the drawing's the reading is of
        self._picked: tuple[int, int] | None = None  # a part clicked in the strip, drawing.version
        self._saves: list[PendingSave] = []
        self._last_save: LastSave | None = None
        self._confirm: tuple[int, int] | None = None  # (label, drawing.version) refused once
        self.canvas_px = 0  # the canvas's shorter side on screen (the window sets it)
        self.events = EventLog()
        self.teaching = Teaching(self.events, samples, finetuner)
        self.watching = None if camera is None else Watching(camera, self.events)
        self.running = True
        self._shown_changes = 0  # changes to the frame besides the drawing's and the status's

    @property
    def version(self) -> int:
        """Changes whenever the frame would look different."""
        watched = self.watching.version if self.watching else 0
        return self.drawing.version + self.teaching.status.version + self._shown_changes + watched

    @property
    def watching_camera(self) -> bool:
        """The canvas shows the camera's picture, not the drawing (D switches)."""
        return self.watching is not None and self.watching.on

    @property
    def stale(self) -> bool:
        """The reading on show is of ink since taken away or redrawn (its new reading is on its
        way): it is shown muted, never as the reading of what is drawn now."""
        return not self.watching_camera and self.read_generation != self.drawing.generation

    # the loop

    def tick(self, now: float) -> None:
        """Between two frames: take news from the background, ask for a reading if one is due,
        and show the readings done."""
        if self.loading is not None and (loaded := self.loading.take()):
            self.loading = None
            self.events.ready(loaded.classifier.name, loaded.seconds)
            self.use_model(loaded.classifier)
        if tuned := self.teaching.poll():
            self.use_model(tuned)
        if self.watching_camera:
            self._watch(now)
        elif self.classifier is not None and (trigger := self.schedule.due(
                self.drawing, now, self.reader.idle)):
            self.reader.submit(self._request(trigger))
            self.schedule.asked(self.drawing)
        for done in self.reader.take():
            self._show(done, now)

    def _watch(self, now: float) -> None:
        """The camera's newest picture on show, and read when the reader is free, paced as
        live readings are: the picture never waits for the reading."""
        assert self.watching is not None
        self.watching.tick(now)
        if self.watching.problem and not self.teaching.status.text:
            self.teaching.status.set(f"{self.watching.problem}: D draws instead", error=True)
        if self.classifier is None or not self.schedule.paced(now, self.reader.idle):
            return
        if picture := self.watching.due():
            drawing = self.drawing
            self.reader.submit(ReadRequest(self.classifier, self.sketch(), drawing.generation,
                                           drawing.version, "camera", picture=picture))

    def use_model(self, classifier: Classifier) -> None:
        """Put a model in use; the drawing on show, if any, is read again by it."""
        self.classifier = classifier
        self._shown_changes += 1
        if not self.drawing.blank:
            self.schedule.request("model")
        for save in self._saves:  # asked for while the model loaded
            self.reader.submit(save.request(classifier))

    def _request(self, trigger: str) -> ReadRequest:
        assert self.classifier is not None, "a reading asked for before the model is ready"
        drawing = self.drawing
        return ReadRequest(self.classifier, self.sketch(), drawing.generation, drawing.version,
                           trigger)

    def _show(self, done: ReadDone, now: float) -> None:
        """Show a reading done, if the drawing is still of its generation (else it is of ink
        since taken away: dropped); a sample waiting for it is saved or refused."""
        self.schedule.read(done.seconds, now)
        request = done.request
        if request.picture is not None:
            self._show_picture(done, request.picture, now)
            return
        for save in [s for s in self._saves if s.version == request.version]:
            self._saves.remove(save)
            self._resolve(save, done.reading)
        if request.generation != self.drawing.generation:
            return
        self.reading, self.read_size = done.reading, request.sketch.size
        self.read_generation, self.read_version = request.generation, request.version
        self.events.prediction(done.reading, done.seconds, request.trigger)
        self._shown_changes += 1

    def _show_picture(self, done: ReadDone, picture: Picture, now: float) -> None:
        """A camera picture's reading, on show while the camera is (not after D)."""
        if self.watching_camera and self.watching and \
                self.watching.read(done.reading, picture, done.seconds, now):
            self.reading, self.read_size = done.reading, picture.size
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
        if self._picked is not None and self._picked[1] == self._pick_key():
            return min(self._picked[0], count - 1)
        strokes = self.drawing.visible_strokes()
        if self.watching_camera or not strokes:
            return 0
        return part_drawn(self.reading, strokes[-1], self.read_size)

    def _pick_key(self) -> int:
        """A click in the strip holds until what it was made on changes: the drawing, or the
        camera's reading (which a frozen picture keeps)."""
        return self.watching.version if self.watching_camera and self.watching \
            else self.drawing.version

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
        if event == cv2.EVENT_LBUTTONDOWN and canvas.contains(x, y) and not self.watching_camera:
            drawing.begin(canvas.to_units(x, y), canvas.size)
            self._clear_status()
        elif event == cv2.EVENT_LBUTTONDOWN:
            self._pick(x, y, layout)
        elif event == cv2.EVENT_MOUSEMOVE and drawing.in_stroke and flags & cv2.EVENT_FLAG_LBUTTON:
            drawing.extend(canvas.to_units(x, y), canvas.size)
        elif event in (cv2.EVENT_LBUTTONUP, cv2.EVENT_MOUSEMOVE) and drawing.in_stroke:
            drawing.end()
            self.events.stroke(len(drawing.strokes[-1]))
            self.schedule.request("mouseup")

    def _pick(self, x: int, y: int, layout: Layout) -> None:
        """Select the part of a number whose cell in the strip holds (x, y), if any."""
        count = len(self.reading.digits)
        cells = number_view(layout, count).cells if count > 1 else ()
        for index, cell in enumerate(cells):
            if cell.contains(x, y):
                self._picked = (index, self._pick_key())
                self._shown_changes += 1

    # keys

    def clear(self) -> None:
        if self.watching_camera:
            self._go_on()
            return
        self.drawing.clear()
        drawing = self.drawing  # blank: read without the model
        self.reading, self.read_generation, self.read_version = BLANK, drawing.generation, \
            drawing.version
        self.schedule.request("key")
        self.events.clear()
        self._clear_status()

    def undo(self) -> None:
        """Take back the last stroke; right after a save, the save (see `take_back_save`)."""
        if not self.take_back_save():
            if not self.drawing.undo():
                return
            self.events.undo()
            self._clear_status()
        self.schedule.request("key")

    def take_back_save(self) -> bool:
        """Z with nothing drawn since a save: the sample's file is deleted and its drawing comes
        back, as if its digit key had not been pressed. False if there is no such save."""
        last = self._last_save
        if last is None or last.version != self.drawing.version:
            return False
        self._last_save = None
        if not self.teaching.take_back(last.path, last.label):
            return False
        self.drawing.put_back(last.strokes)
        return True

    def thinner(self) -> None:
        self._brush_changed(self.drawing.thinner())

    def thicker(self) -> None:
        self._brush_changed(self.drawing.thicker())

    def _brush_changed(self, changed: bool) -> None:
        if not changed:
            return
        brush = self.drawing.brush
        self.events.brush(brush, brush_pixels(brush, self.canvas_px))
        if not self.drawing.blank:
            self.schedule.request("key")  # the ink the network sees changes too

    def request_recognition(self) -> None:
        """S: read the drawing now; with the camera on show, freeze its picture or go on."""
        if self.watching_camera and self.watching:
            self.watching.toggle_freeze()
            self.events.frozen(self.watching.frozen)
        else:
            self.schedule.request("key")

    def _go_on(self) -> None:
        """C with the camera on show: go on after S froze it."""
        if self.watching and self.watching.frozen:
            self.request_recognition()

    def switch_view(self) -> None:
        """D: the camera's picture or the drawing on the canvas; each is read again."""
        if self.watching is None:
            self.teaching.status.set("no camera: start the app with --camera (a camera's index "
                                     "or a video file)", error=True)
            return
        self.watching.on = not self.watching.on
        self.reading, self._picked = BLANK, None
        self.events.view("camera" if self.watching.on else "drawing")
        if not self.watching.on and not self.drawing.blank:
            self.schedule.request("key")
        self._shown_changes += 1

    def save_sample(self, label: int) -> None:
        """Save the drawing, as it is when the key is pressed, as a sample of `label`, once the
        model has read it (at once if it has: see `_resolve`)."""
        if self.watching_camera:
            self.teaching.refuse("not saved: samples are drawn, press D to draw one")
            return
        drawing = self.drawing
        drawing.end()
        confirmed = self._confirm == (label, drawing.version)
        save = PendingSave(label, self.sketch(), drawing.generation, drawing.version, confirmed)
        if self.read_generation == drawing.generation and self.read_version == drawing.version:
            self._resolve(save, self.reading)
            return
        self._saves.append(save)
        if self.classifier is not None:
            self.reader.submit(save.request(self.classifier))
        else:
            self.teaching.status.set("the model is loading: the sample is saved once it has "
                                     "read the drawing")

    def _resolve(self, save: PendingSave, reading: Reading) -> None:
        """Save a drawing the model has read as one digit, and take it off the canvas (what was
        drawn after the key press stays): the next sample can be drawn at once, and the saved
        one is safe in the store while the status line says so (Z takes it back). A drawing of
        several digits is refused: it would teach the model a number as one digit. One the
        model reads as not a digit is saved only if the key is pressed again."""
        part = reading.single
        if len(reading.digits) > 1:
            self.teaching.refuse("not saved: draw one digit to save a sample")
        elif part is not None and part.speck:
            self.teaching.refuse("not saved: too small for a digit")
        elif part is not None and part.rejected and not save.confirmed:
            self._confirm = (save.label, save.version)
            self.teaching.refuse(f"not saved: the model reads this as not a digit; press "
                                 f"{save.label} again to save it as a {save.label} anyway")
        elif path := self.teaching.save(save.sketch, save.label):
            if self.drawing.generation == save.generation:
                self.drawing.drop_first(len(save.sketch.strokes))
                self.schedule.request("key")
            self._last_save = LastSave(path, save.label, save.sketch.strokes,
                                       self.drawing.version)

    def _clear_status(self) -> None:
        """The drawing changed: the status line's message was about what came before."""
        if self.teaching.status.text:
            self.teaching.status.set("")

    def start_finetune(self) -> None:
        self.teaching.start_finetune(self.classifier)

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
