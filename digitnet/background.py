"""Work in threads of their own, so the window keeps drawing: loading the model, fine-tuning.

The threads touch no app state. Each puts what it has to say on a queue that the app's loop
takes once per tick, so a model is swapped in by the loop, between two frames. The heavy
modules (torch, the training stack) are imported inside the threads, when the work starts:
the window is up before torch is, and the training stack is never imported unless asked for.

The threads are daemons: the app never waits long for one on exit (see digitnet.window).
"""

from __future__ import annotations

import os
import queue
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from digitnet import DigitnetError
from digitnet.errors import debug_requested

if TYPE_CHECKING:
    from digitnet.recognizer import Recognizer

Load = Callable[[Path | None], "Recognizer"]
Finetune = Callable[..., Any]  # digitnet.finetune.finetune: (config, progress, should_stop)


# The app reads a number's digits in one batch: with two threads the shipped `improved` reads
# six in 3.4 ms instead of 5.4 ms, one in 1.5 ms instead of 1.8 (a quiet 2-core machine; with
# one of its cores busy elsewhere, one thread is steadier for one digit: bench/app_speed.py).
APP_THREADS = 2


def load_recognizer(path: Path | None, reject: bool = True) -> Recognizer:
    """The app's recognizer for a weights file (None: the best shipped one); reject=False: it
    never says "not a digit". Imports torch."""
    from digitnet.recognizer import Recognizer

    return Recognizer.load(path, threads=APP_THREADS, reject=reject)


class Loaded(NamedTuple):
    recognizer: Recognizer
    seconds: float  # from the start of loading, torch's import included


class BackgroundLoad:
    """Loads a recognizer in a background thread; the loop takes it when it is ready."""

    def __init__(self, load: Load = load_recognizer):
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

    def take(self) -> Loaded | None:
        """The loaded recognizer, once, when it is ready; None before. A failure is raised here."""
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
    recognizer: Recognizer  # the fine-tuned model, loaded and warmed up
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
                 finetune: Finetune | None = None, load: Load = load_recognizer):
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
        from digitnet.config import FinetuneConfig
        from digitnet.finetune import adoption, describe, finetune

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
