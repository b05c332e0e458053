"""The app's threads: readings made while the loop goes on, the model loaded in the background,
and the app's imports (torch comes with the model, training with F only)."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import REPO_ROOT
from screen import (
    DIGITS,
    DOWN,
    MOVE,
    AnswersThree,
    Screen,
    StandIn,
    assert_canvas_shows_the_ink,
    logged,
    shows,
    tick_until,
)

from digitnet import DigitnetError
from digitnet.app.state import AppState
from digitnet.app.style import MUTED
from digitnet.app.workers import BackgroundLoad, ReadingWorker
from digitnet.data.samples import SampleStore
from digitnet.reading.result import BLANK


class WaitsToAnswer(AnswersThree):
    """AnswersThree, but each batch waits until the test lets it through: a reading that is
    still running when the test acts."""

    def __init__(self):
        super().__init__()
        self.go = threading.Semaphore(0)
        self.started = threading.Semaphore(0)
        self.holding = False  # the classifier's warm-up goes through

    def forward(self, images):
        if self.holding:
            self.started.release()
            assert self.go.acquire(timeout=30), "the test never let the reading through"
        return super().forward(images)


def held_classifier() -> tuple[StandIn, WaitsToAnswer]:
    model = WaitsToAnswer()
    classifier = StandIn(model=model)
    model.holding = True
    return classifier, model


def threaded_screen() -> tuple[Screen, WaitsToAnswer]:
    """A Screen whose readings run on the app's ReadingWorker, each held until let through."""
    classifier, model = held_classifier()
    return Screen(classifier=classifier, reader=ReadingWorker()), model


def tick_until_read(state: AppState, count: int = 1, timeout: float = 30.0) -> list[str]:
    """Tick as the window's loop does until `count` predictions are logged; the lines logged."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while sum(line.startswith("prediction") for line in lines) < count:
        assert time.monotonic() < deadline, f"no reading came; logged {lines}"
        state.tick(time.monotonic())
        lines += logged(state)
        time.sleep(0.001)
    return lines


def test_the_loop_never_waits_for_a_reading_and_shows_it_when_it_is_done():
    screen, model = threaded_screen()
    state = screen.state
    screen.draw(7, place=(0, 2))
    start = time.monotonic()
    state.tick(start)  # asks; the reading runs on the worker, held by the test
    assert model.started.acquire(timeout=30)
    screen.draw(1, place=(1, 2))  # drawing goes on meanwhile
    state.tick(time.monotonic())
    assert time.monotonic() - start < 5 and state.reading == BLANK
    model.go.release()
    model.go.release()  # and the next one, of the drawing with the 1
    lines = tick_until_read(state, 2)
    assert [line.split()[-2] for line in lines if line.startswith("prediction")] == \
        ["trigger=mouseup", "trigger=mouseup"]
    assert len(state.reading.digits) == 2 and not state.stale


def test_a_reading_of_ink_since_taken_away_is_never_shown():
    screen, model = threaded_screen()
    state = screen.state
    screen.draw(7)
    state.tick(time.monotonic())
    assert model.started.acquire(timeout=30)  # the seven's reading is under way...
    screen.press("z")  # ...when its stroke is taken away
    screen.draw(1)
    state.tick(time.monotonic())  # the one's reading asked for: it waits for the worker
    model.go.release()  # the seven's reading ends...
    assert model.started.acquire(timeout=30)  # ...and the one's begins
    for _ in range(3):
        state.tick(time.monotonic())
    assert state.reading == BLANK and state.stale  # the seven's: dropped, never shown
    assert not any(line.startswith("prediction") for line in logged(state))
    model.go.release()  # the one's reading: shown
    tick_until_read(state)
    assert state.read_generation == state.drawing.generation and not state.stale
    assert state.reading.single is not None


def test_a_live_reading_a_few_points_behind_is_shown_and_the_newest_request_wins():
    screen, model = threaded_screen()
    state = screen.state
    screen.mouse(DOWN, *screen.pixel(0.5, 0.2))
    screen.mouse(MOVE, *screen.pixel(0.5, 0.5))
    state.tick(time.monotonic())  # a live reading of the first half
    assert model.started.acquire(timeout=30)
    screen.mouse(MOVE, *screen.pixel(0.5, 0.8))
    state.request_recognition()
    state.tick(time.monotonic())  # S: waits for the worker
    state.request_recognition()
    state.tick(time.monotonic())  # S again: replaces the one waiting
    model.go.release()
    lines = tick_until_read(state)
    assert lines[-1].endswith("trigger=live number=3") and not state.stale  # behind, not stale
    model.go.release()
    assert tick_until_read(state)[-1].endswith("trigger=key number=3")
    assert len(model.seen) == 2  # the first S was never read


def test_a_sample_is_the_drawing_as_it_was_when_its_key_was_pressed(tmp_path):
    store = SampleStore(tmp_path / "samples")
    classifier, model = held_classifier()
    screen = Screen(classifier=classifier, reader=ReadingWorker(), samples=store)
    state = screen.state
    screen.draw(1)
    screen.press("1")  # not read yet: saved once it is
    assert model.started.acquire(timeout=30)
    screen.draw(7, place=(1, 2))  # the next drawing, begun at once
    model.go.release()
    deadline = time.monotonic() + 30
    while not store.counts()[1] and time.monotonic() < deadline:
        state.tick(time.monotonic())
        model.go.release()
    (sample,), _ = store.load_all()
    assert len(sample.strokes) == len(DIGITS[1])
    assert len(state.drawing.strokes) == len(DIGITS[7])  # what was drawn after the key stays


class GatedLoad:
    """A load function that waits for `release`, then returns `outcome` or raises it."""

    def __init__(self, outcome):
        self.outcome, self.release, self.paths = outcome, threading.Event(), []

    def __call__(self, path):
        self.paths.append(path)
        assert self.release.wait(30)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def loading_screen(outcome) -> tuple[Screen, GatedLoad]:
    gate = GatedLoad(outcome)
    loading = BackgroundLoad(gate)
    screen = Screen(loading=loading)
    screen.state.classifier = None
    loading.start(Path("model.pt"))
    return screen, gate


def test_drawing_works_while_the_model_loads_and_is_read_once_it_is_ready():
    model = StandIn()
    screen, gate = loading_screen(model)
    state = screen.state
    frame = screen.frame()
    assert shows(frame, screen.layout.readout, MUTED)  # the readout says the model is loading
    screen.draw(7)
    state.tick(now=time.monotonic())
    assert len(state.drawing.strokes) == 1 and state.classifier is None
    assert logged(state) == []  # nothing read yet: there is no model
    assert_canvas_shows_the_ink(screen.frame(), screen)  # but the drawing is on show

    gate.release.set()
    tick_until(state, lambda s: s.classifier is model)
    ready, prediction = logged(state)
    assert re.fullmatch(r"ready model=stand-in load_ms=\d+", ready)
    assert prediction.startswith("prediction digit=3 ")
    assert prediction.endswith(" trigger=model number=3")
    assert gate.paths == [Path("model.pt")] and len(model.seen) == 1
    assert not shows(screen.frame(), screen.layout.readout, MUTED)  # the reading, not "loading"


def test_a_model_ready_before_anything_is_drawn_reads_nothing():
    screen, gate = loading_screen(StandIn())
    gate.release.set()
    tick_until(screen.state, lambda s: s.classifier is not None)
    (ready,) = logged(screen.state)
    assert ready.startswith("ready ")


def test_a_model_that_fails_to_load_raises_in_the_loop():
    screen, gate = loading_screen(DigitnetError("model.pt: not a readable weights file"))
    gate.release.set()
    with pytest.raises(DigitnetError, match="not a readable weights file"):
        tick_until(screen.state, lambda s: False)


def test_the_app_does_not_import_torch_or_the_training_stack():
    """torch comes with the model, in the background; the training stack with F only."""
    code = ("import sys, digitnet.app.window, digitnet.app.workers; "
            "print(sorted(m for m in ('torch', 'digitnet.train.finetune', 'digitnet.train.loop', "
            "'digitnet.model.classifier') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO_ROOT, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr
