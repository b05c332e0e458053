"""Teaching the app your handwriting: drawings saved as samples (keys 0-9), fine-tuning (F).

This part of the app owns the status line, since every message on it is about samples or
fine-tuning: what became of the last sample, the run's progress, or what went wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from digitnet.app.workers import Kept, Progress, Tuned
from digitnet.common.digits import DIGIT_NAMES, NUM_CLASSES
from digitnet.data.samples import SampleError
from digitnet.reading.parts import network_input

if TYPE_CHECKING:
    from digitnet.app.events import EventLog
    from digitnet.app.workers import BackgroundFinetune
    from digitnet.common.sketch import Sketch
    from digitnet.data.samples import SampleStore
    from digitnet.model.classifier import Classifier


def how_many(count: int, digit: int) -> str:
    """'1 seven', '12 sevens', '2 sixes'."""
    name = DIGIT_NAMES[digit]
    if count == 1:
        return f"{count} {name}"
    return f"{count} {name}{'es' if name.endswith('x') else 's'}"


class Status:
    """The status line: the outcome of the last action, an error or not."""

    def __init__(self, text: str = ""):
        self.text, self.error = text, False
        self.version = 0  # changes whenever the line does

    def set(self, text: str, error: bool = False) -> None:
        self.text, self.error = text, error
        self.version += 1


class Teaching:
    """The user's samples and fine-tuning on them.

    Without a sample store or a fine-tuner (a benchmark, say) their keys only say they are off.
    """

    def __init__(self, events: EventLog, samples: SampleStore | None = None,
                 finetuner: BackgroundFinetune | None = None):
        self.events, self.samples, self.finetuner = events, samples, finetuner
        self.counts = samples.counts() if samples else [0] * NUM_CLASSES  # saved samples per digit
        self.status = Status(f"samples are saved in {samples.folder}" if samples else "")

    def save(self, sketch: Sketch, label: int) -> Path | None:
        """Save the drawing, as the network reads it, as a sample of `label`; its file, or None
        if not saved."""
        if self.samples is None:
            self.status.set("saving samples is off", error=True)
            return None
        image = network_input(sketch.render())
        if image is None:
            self.refuse("nothing to save: draw a digit, then press its key")
            return None
        try:
            path = self.samples.save(sketch.strokes, image, label,
                                     canvas_size=sketch.size, brush=sketch.brush)
        except SampleError as e:
            self.status.set(f"not saved: {e}", error=True)
            self.events.sample_failed(str(e))
            return None
        self.counts = self.samples.counts()
        self.status.set(f"saved as {label} - {how_many(self.counts[label], label)} saved; "
                        "Z takes it back")
        self.events.sample_saved(label, path)
        return path

    def take_back(self, path: Path, label: int) -> bool:
        """Delete the sample just saved at `path` (Z right after saving); False if it cannot be."""
        assert self.samples is not None, "a sample taken back without a store"
        try:
            self.samples.remove(path)
        except SampleError as e:
            self.status.set(f"not taken back: {e}", error=True)
            return False
        self.counts = self.samples.counts()
        self.status.set(f"took the {label} back: its sample is deleted, the drawing is back")
        self.events.sample_removed(path)
        return True

    def refuse(self, reason: str) -> None:
        """A sample not saved, and why, on the status line and in the log."""
        self.status.set(reason, error=True)
        self.events.sample_refused(reason)

    def start_finetune(self, classifier: Classifier | None) -> None:
        """Fine-tune the model in use on the saved samples, in the background."""
        if self.finetuner is None:
            self.status.set("fine-tuning is off", error=True)
        elif classifier is None:
            self.status.set("the model is still loading: press F again in a moment")
        elif not self.finetuner.start(classifier.path):
            self.status.set("fine-tuning is already running")
        else:
            self.status.set("fine-tuning started: keep drawing meanwhile")
            self.events.finetune_started()

    def poll(self) -> Classifier | None:
        """Show what fine-tuning reported since the last call; its new model, once it is done
        and meets the adoption rule (digitnet.train.finetune.adoption)."""
        tuned = None
        for news in self.finetuner.news() if self.finetuner else []:
            if isinstance(news, Progress):
                self.status.set(f"fine-tuning: {news.message}")
            elif isinstance(news, Tuned):
                tuned = news.classifier
                self.status.set(f"fine-tuned, now in use: {news.figures}")
                self.events.finetune_done(news.weights)
            elif isinstance(news, Kept):
                self.status.set(f"kept the current model: {news.reason}; its file is "
                                f"{news.weights}, load it with --weights")
                self.events.finetune_kept(news.weights, news.reason)
            else:
                self.status.set(f"fine-tuning failed: {news.message}", error=True)
                self.events.finetune_failed(news.message)
        return tuned

    def stop(self) -> None:
        """Ask a fine-tuning run, if one is on, to stop."""
        if self.finetuner is not None and self.finetuner.running:
            self.finetuner.stop()
            self.events.finetune_stopping()
