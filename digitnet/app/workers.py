"""Work in threads of their own, so the window keeps drawing: reading the drawing, loading the
model, fine-tuning.

The threads touch no app state. Each puts what it has to say on a queue that the app's loop
takes once per tick, so a reading is shown and a model swapped in by the loop, between two
frames. The heavy modules (torch, the training stack) are imported inside the threads, when the
work starts: the window is up before torch is, and the training stack is never imported unless
asked for.

The threads are daemons: the app never waits long for one on exit (see digitnet.app.window).
"""

from __future__ import annotations

import os
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from digitnet import DigitnetError
from digitnet.common.errors import debug_requested
from digitnet.reading.read import read_canvas, read_sketch

if TYPE_CHECKING:
    from digitnet.app.camera import Picture
    from digitnet.common.sketch import Sketch
    from digitnet.model.classifier import Classifier
    from digitnet.reading.result import Reading

Load = Callable[[Path | None], "Classifier"]
Finetune = Callable[..., Any]  # digitnet.train.finetune.finetune: (config, progress, should_stop)


# Torch's threads for the app's readings, chosen by measurement (bench/app_speed.py --threads N,
# the reading worker beside the window's loop, 2 cores): on a quiet machine one thread reads as
# fast as two (two compete with the window's own thread), and with one core busy elsewhere two
# threads wait on each other: a 6-digit number's reading took 236 ms p95 with two, 77 with one.
APP_THREADS = 1


def load_classifier(path: Path | None, reject: bool = True) -> Classifier:
    """The app's classifier for a weights file (None: the best shipped one); reject=False: it
    never says "not a digit". Imports torch."""
    from digitnet.model.classifier import Classifier

    return Classifier.load(path, threads=APP_THREADS, reject=reject)


@dataclass(frozen=True, eq=False)
class ReadRequest:
    """A drawing to read, as it was when asked: the reading is shown only if the drawing on
    screen is still of that `generation` (digitnet.app.drawing.Drawing)."""

    classifier: Classifier
    sketch: Sketch
    generation: int
    version: int
    trigger: str  # live, mouseup, key, model or camera: what asked for it, for the log
    keep: bool = False  # never dropped for a newer request (a sample waits for it)
    picture: Picture | None = None  # a camera's picture to read instead of the sketch


@dataclass(frozen=True, eq=False)
class ReadDone:
    request: ReadRequest
    reading: Reading
    seconds: float  # how long the reading took, on the thread that made it


def read_request(request: ReadRequest) -> ReadDone:
    """Read one request (the app's path, digitnet.reading.read.read_sketch, or a camera's picture
    as predict reads a photo of paper, read_canvas), timed. A camera's picture is read as dark
    ink on light paper: its border is more often a dark desk than paper, and would pass for
    the background."""
    start = time.perf_counter()
    if request.picture is not None:  # paper held up to a camera: dark ink on light paper
        reading = read_canvas(request.classifier, request.picture.image, invert=True)
    else:
        reading = read_sketch(request.classifier, request.sketch)
    return ReadDone(request, reading, time.perf_counter() - start)


class Reader(Protocol):
    """Makes the app's readings: `submit` asks, `take` gives what is done."""

    def submit(self, request: ReadRequest) -> None: ...

    @property
    def idle(self) -> bool: ...

    def take(self) -> list[ReadDone]: ...


class ReadingWorker:
    """Reads drawings on a thread of its own, so the window never waits for the model.

    Requests wait in order; a new one replaces those still waiting that are not `keep` (the
    newest drawing wins: an older one would be shown only to be replaced). The loop takes what
    is done once per tick.
    """

    def __init__(self) -> None:
        self._waiting: list[ReadRequest] = []
        self._reading = self._closed = False
        self._changed = threading.Condition()
        self._done: queue.SimpleQueue[ReadDone | BaseException] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="digitnet-read", daemon=True)
        self._thread.start()

    def submit(self, request: ReadRequest) -> None:
        with self._changed:
            self._waiting = [*(r for r in self._waiting if r.keep), request]
            self._changed.notify()

    @property
    def idle(self) -> bool:
        """Nothing waiting and nothing being read."""
        with self._changed:
            return not self._waiting and not self._reading

    def take(self) -> list[ReadDone]:
        """The readings done since the last call, oldest first; a failure is raised here."""
        done = []
        while not self._done.empty():
            result = self._done.get()
            if isinstance(result, BaseException):
                raise result
            done.append(result)
        return done

    def close(self) -> None:
        """End the thread, once the reading under way (if any) is done."""
        with self._changed:
            self._closed = True
            self._changed.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._waiting) or self._closed)
                if self._closed:
                    return
                request = self._waiting.pop(0)
                self._reading = True
            result: ReadDone | BaseException
            try:
                result = read_request(request)
            except BaseException as e:  # noqa: BLE001  the loop raises it as its own
                result = e
            with self._changed:
                self._done.put(result)
                self._reading = False


class InlineReader:
    """Reads each request at once, on the caller's thread: the app's readings in tests and
    benchmarks, where the window's timing is not what is measured."""

    def __init__(self) -> None:
        self._done: list[ReadDone] = []

    def submit(self, request: ReadRequest) -> None:
        self._done.append(read_request(request))

    @property
    def idle(self) -> bool:
        return True

    def take(self) -> list[ReadDone]:
        done, self._done = self._done, []
        return done


class Loaded(NamedTuple):
    classifier: Classifier
    seconds: float  # from the start of loading, torch's import included


class BackgroundLoad:
    """Loads a classifier in a background thread; the loop takes it when it is ready."""

    def __init__(self, load: Load = load_classifier):
        self._load = load
        self._done: queue.SimpleQueue[Loaded | BaseException] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self, path: Path | None) -> None:
        """Load `path` (None: the best shipped weights)."""
        self._thread = threading.Thread(target=self._run, args=(path,), name="digitnet-load",
                                        daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def started(self) -> bool:
        """Loading began: torch is imported, or on its way."""
        return self._thread is not None

    def take(self) -> Loaded | None:
        """The loaded classifier, once, when it is ready; None before. A failure is raised here."""
        if self._done.empty():
            return None
        result = self._done.get()
        if isinstance(result, BaseException):
            raise result
        return result

    def _run(self, path: Path | None) -> None:
        start = time.perf_counter()
        try:
            self._done.put(Loaded(self._load(path), time.perf_counter() - start))
        except BaseException as e:  # noqa: BLE001  the loop raises it, and reports it as its own
            self._done.put(e)


class Progress(NamedTuple):
    message: str


class Tuned(NamedTuple):
    """A fine-tuned model that meets the adoption rule: the app switches to it."""

    figures: str  # accuracy before and after, in one line
    classifier: Classifier  # the fine-tuned model, loaded and warmed up
    weights: str  # its file


class Kept(NamedTuple):
    """A fine-tuned model that does not meet the rule: written, never loaded."""

    reason: str  # why not, with the figures
    weights: str  # its file, for loading by hand


class Failed(NamedTuple):
    message: str  # the error


News = Progress | Tuned | Kept | Failed  # a run sends Progress news, then one of the others


class BackgroundFinetune:
    """Runs `finetune` on one samples folder in a background thread, one run at a time.

    `finetune` and `load` default to the real ones; tests hand in stand-ins.
    """

    def __init__(self, samples_dir: str | os.PathLike[str],
                 data_dir: str | os.PathLike[str] | None = None, *,
                 finetune: Finetune | None = None, load: Load = load_classifier):
        self.samples_dir, self.data_dir = samples_dir, data_dir
        self._finetune, self._load = finetune, load
        self._news: queue.SimpleQueue[News] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.running = False  # from start() until the run's last news is taken

    def start(self, weights: Path | None) -> bool:
        """Fine-tune `weights` (None: the best shipped ones) into a new file (finetune picks the
        place); False if a run is on already."""
        if self.running:
            return False
        self.running = True
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(weights,), name="digitnet-finetune",
                                        daemon=True)
        self._thread.start()
        return True

    @property
    def alive(self) -> bool:
        """The run's thread has not ended yet (it may be stopping)."""
        return self._thread is not None and self._thread.is_alive()

    def news(self) -> list[News]:
        """What the run reported since the last call, oldest first. For the app's loop only."""
        taken = []
        while not self._news.empty():
            taken.append(self._news.get())
        if taken and not isinstance(taken[-1], Progress):
            self.running = False
        return taken

    def stop(self) -> None:
        """Ask a run to stop at its next check."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the run's thread to end, at most `timeout` seconds; True if it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.alive

    def _run(self, weights: Path | None) -> None:
        try:
            news = self._finetuned(weights)
        except DigitnetError as e:  # too few samples, no MNIST, a bad weights file, stopped
            news = Failed(str(e))
        except Exception as e:  # noqa: BLE001  a bug, torch failing: the window says so, app goes on
            if debug_requested():
                traceback.print_exc()
            news = Failed(f"{type(e).__name__}: {e}")
        self._news.put(news)

    def _finetuned(self, weights: Path | None) -> News:
        # the training stack: only when asked for
        from digitnet.train.config import FinetuneConfig
        from digitnet.train.finetune import adoption, describe, finetune

        config = FinetuneConfig(samples=str(self.samples_dir),
                                weights=None if weights is None else str(weights),
                                data_dir=None if self.data_dir is None else str(self.data_dir))
        result = (self._finetune or finetune)(config, progress=self._progress,
                                              should_stop=self._stop.is_set)
        verdict = adoption(result.record)  # measured against its base: the model in use
        if not verdict.adopt:
            return Kept(verdict.reason, str(result.weights))
        return Tuned(describe(result), self._load(Path(result.weights)), str(result.weights))

    def _progress(self, message: str) -> None:
        self._news.put(Progress(message))
