"""Fine-tuning in a thread of its own, so the window keeps drawing and recognising meanwhile.

The thread touches no app state: it puts news on a queue (progress lines, then the new model
loaded and ready, or the error) that the app's loop takes once per tick, and it reads one flag
that asks it to stop. So the model is swapped in by the loop, between two frames.
"""

from __future__ import annotations

import os
import queue
import threading
import traceback
from typing import Callable, Literal, NamedTuple

from digitnet import DigitnetError
from digitnet.finetune import describe, finetune
from digitnet.recognizer import Recognizer


class News(NamedTuple):
    kind: Literal["progress", "done", "failed"]  # a run sends progress news, then one of the others
    message: str  # a progress line, the before/after figures, or the error
    recognizer: Recognizer | None = None  # done: the fine-tuned model, loaded and warmed up
    weights: str | None = None  # done: its file


class BackgroundFinetune:
    """Runs `finetune` on one samples folder in a background thread, one run at a time.

    `finetune` and `load` default to the real ones; tests hand in stand-ins.
    """

    def __init__(self, samples_dir: str | os.PathLike, data_dir: str | os.PathLike | None = None, *,
                 finetune: Callable[..., dict] = finetune, load: Callable[[str], Recognizer] = Recognizer.load):
        self.samples_dir, self.data_dir = samples_dir, data_dir
        self._finetune, self._load = finetune, load
        self._news: queue.SimpleQueue[News] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.running = False  # from start() until the run's last news is taken

    def start(self, weights: str | os.PathLike) -> bool:
        """Fine-tune `weights` into a new file (finetune picks the place); False if a run is on already."""
        if self.running:
            return False
        self.running = True
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(weights,), name="finetune")
        self._thread.start()
        return True

    def news(self) -> list[News]:
        """What the run reported since the last call, oldest first. Call it from one thread only: the app's loop."""
        taken = []
        while not self._news.empty():
            taken.append(self._news.get())
        if taken and taken[-1].kind != "progress":
            self.running = False
        return taken

    def stop(self, wait: bool = False) -> None:
        """Ask a run to stop at its next check (between epochs); with `wait`, until it has ended.

        The app waits before it exits: torch aborts the process if it ends while a thread is inside it.
        """
        self._stop.set()
        if wait and self._thread is not None:
            self._thread.join()

    def _run(self, weights: str | os.PathLike) -> None:
        try:
            summary = self._finetune(self.samples_dir, weights, data_dir=self.data_dir,
                                     progress=self._progress, should_stop=self._stop.is_set)
            news = News("done", describe(summary), self._load(summary["weights"]), summary["weights"])
        except DigitnetError as e:  # too few samples, no MNIST, a bad weights file, stopped
            news = News("failed", str(e))
        except Exception as e:  # a bug, or torch failing: the window says so, and the app goes on
            traceback.print_exc()
            news = News("failed", f"{type(e).__name__}: {e}")
        self._news.put(news)

    def _progress(self, message: str) -> None:
        self._news.put(News("progress", message))
