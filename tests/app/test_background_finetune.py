"""Fine-tuning from the app (F): in the background, the new model swapped in only when it is
better, failures one status line, Escape stopping it, waiting for it bounded."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from screen import Screen, StandIn, logged, tick_until

from digitnet import DigitnetError
from digitnet.app.state import AppState
from digitnet.app.workers import BackgroundFinetune, Failed
from digitnet.data.samples import SampleStore
from digitnet.train.finetune import FinetuneStopped


class FakeFinetune:
    """Stands in for digitnet.train.finetune.finetune: reports progress, waits for `release`, then
    returns or raises `outcome`; stops the way the real one does when should_stop() turns true
    (unless `deaf`: a run that takes long to reach its next check)."""

    def __init__(self, outcome, deaf: bool = False):
        self.outcome, self.deaf = outcome, deaf
        self.calls: list[tuple] = []
        self.release, self.stopped = threading.Event(), threading.Event()

    def __call__(self, config, *, progress, should_stop):
        self.calls.append((config, threading.current_thread()))
        progress("epoch 1/40: loss 0.5000")
        while not self.release.wait(0.01):
            if should_stop() and not self.deaf:
                self.stopped.set()
                raise FinetuneStopped("fine-tuning stopped; nothing was written")
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def summary(weights: Path, held_aside=(0.5, 0.9), mnist=(0.99, 0.989)) -> SimpleNamespace:
    """What finetune returns, as far as the app reads it: by default, figures (before, after)
    that meet the adoption rule."""
    (held_before, held_after), (mnist_before, mnist_after) = held_aside, mnist
    record = SimpleNamespace(held_aside_acc_before=held_before, held_aside_acc_after=held_after,
                             mnist_test_acc_before=mnist_before, mnist_test_acc_after=mnist_after)
    return SimpleNamespace(weights=weights, record=record)


def finetuning_screen(tmp_path: Path, outcome, load=None,
                      deaf=False) -> tuple[Screen, FakeFinetune]:
    fake = FakeFinetune(outcome, deaf)
    finetuner = BackgroundFinetune(tmp_path / "samples", tmp_path / "mnist", finetune=fake,
                                   **({"load": load} if load else {}))
    return Screen(classifier=StandIn("base.pt"), finetuner=finetuner), fake


def status_of(state: AppState) -> str:
    return state.teaching.status.text


def test_f_while_the_model_loads_says_so(tmp_path):
    finetuner = BackgroundFinetune(tmp_path, finetune=FakeFinetune(summary(tmp_path / "x.pt")))
    screen = Screen(finetuner=finetuner)
    screen.state.classifier = None
    screen.press("f")
    assert "still loading" in screen.state.teaching.status.text and not finetuner.running


def test_f_fine_tunes_in_the_background_then_swaps_the_new_model_in(tmp_path):
    tuned = StandIn(str(tmp_path / "tuned.pt"))
    loaded = []

    def load(path):
        loaded.append((path, threading.current_thread()))
        return tuned

    screen, fake = finetuning_screen(tmp_path, summary(tmp_path / "tuned.pt"), load)
    state = screen.state
    base = state.classifier
    screen.press("f")
    assert logged(state) == ["finetune started"]
    tick_until(state, lambda s: status_of(s).startswith("fine-tuning: epoch 1/40"))

    screen.press("F")  # one run at a time
    assert status_of(state) == "fine-tuning is already running" and len(fake.calls) == 1
    screen.draw(7)  # the window goes on working, with the old model
    tick_until(state, lambda s: len(base.seen) == 1)
    assert state.classifier is base

    fake.release.set()
    tick_until(state, lambda s: s.classifier is tuned)
    ((config, thread),) = fake.calls
    assert (config.samples, config.weights, config.data_dir) == (
        str(tmp_path / "samples"), "base.pt", str(tmp_path / "mnist"))
    assert loaded == [(tmp_path / "tuned.pt", thread)] and thread is not threading.main_thread()
    assert status_of(state) == ("fine-tuned, now in use: your held-aside samples 50.0 % -> 90.0 %, "
                                "MNIST test 99.00 % -> 98.90 %")
    assert not state.teaching.status.error
    lines = logged(state)
    # the drawing on show, read again by the new model, at once
    assert lines[-2] == f"finetune done weights={tmp_path / 'tuned.pt'}"
    assert lines[-1].startswith("prediction digit=3")
    assert lines[-1].endswith("trigger=model number=3")
    assert len(tuned.seen) == 1 and len(base.seen) == 1
    screen.press("f")  # the next run starts from the new model
    assert fake.calls[-1][0].weights == str(tmp_path / "tuned.pt")
    state.quit()
    assert state.teaching.finetuner.join(5)


@pytest.mark.parametrize("figures, reason", [
    ({"held_aside": (0.9, 0.85)},
     "the fine-tuned one reads your held-aside samples worse (85.0 % vs 90.0 %)"),
    ({"mnist": (0.9955, 0.992)},
     "the fine-tuned one reads MNIST test 0.35 points worse (99.20 % vs 99.55 %), "
     "more than the 0.2 allowed"),
])
def test_a_fine_tuned_model_that_is_worse_is_kept_out_and_the_app_says_why(tmp_path, figures,
                                                                          reason):
    loaded = []
    screen, fake = finetuning_screen(tmp_path, summary(tmp_path / "tuned.pt", **figures),
                                     load=loaded.append)
    state = screen.state
    base = state.classifier
    screen.draw(7)
    tick_until(state, lambda s: len(base.seen) == 1)
    logged(state)
    fake.release.set()
    screen.press("f")
    tick_until(state, lambda s: not s.teaching.finetuner.running)
    state.tick(time.monotonic())
    assert state.classifier is base and loaded == []  # not even loaded
    assert status_of(state) == (f"kept the current model: {reason}; its file is "
                                f"{tmp_path / 'tuned.pt'}, load it with --weights")
    assert not state.teaching.status.error
    # and no new model read the drawing again
    assert logged(state) == [
        "finetune started", f"finetune kept weights={tmp_path / 'tuned.pt'} reason={reason}"]
    assert len(base.seen) == 1
    screen.press("f")  # the next run starts from the model in use, still the base
    assert fake.calls[-1][0].weights == "base.pt"
    state.quit()
    assert state.teaching.finetuner.join(5)


@pytest.mark.parametrize("error, message", [
    (DigitnetError("too few samples in DIR: digit 3 has 2 (3 more needed)"),
     "too few samples in DIR: digit 3 has 2 (3 more needed)"),
    (RuntimeError("out of memory"), "RuntimeError: out of memory"),  # not ours: still no crash
])
def test_a_failed_fine_tuning_is_one_status_line_and_the_app_goes_on(tmp_path, capsys,
                                                                   monkeypatch, error, message):
    monkeypatch.delenv("DIGITNET_DEBUG", raising=False)
    screen, fake = finetuning_screen(tmp_path, error)
    state = screen.state
    base = state.classifier
    fake.release.set()
    screen.press("f")
    tick_until(state, lambda s: not s.teaching.finetuner.running)
    assert status_of(state) == f"fine-tuning failed: {message}" and state.teaching.status.error
    assert logged(state) == ["finetune started", f"finetune failed error={message}"]
    assert state.running and state.classifier is base
    assert capsys.readouterr().err == ""  # no traceback (DIGITNET_DEBUG=1 shows one)
    screen.press("f")  # and it can be tried again
    assert len(fake.calls) == 2
    assert state.teaching.finetuner.join(5)


def test_with_too_few_samples_the_real_fine_tuning_refuses_in_one_line(tmp_path):
    store = SampleStore(tmp_path / "samples")
    screen = Screen(samples=store, finetuner=BackgroundFinetune(store.folder))
    for _ in range(2):
        screen.draw(4)
        screen.save("4")
    screen.press("f")
    tick_until(screen.state, lambda s: not s.teaching.finetuner.running, timeout=120)
    assert re.fullmatch(r"fine-tuning failed: too few samples in .*samples: digit 4 has 2 "
                        r"\(3 more needed\).*", status_of(screen.state))


def test_escape_during_fine_tuning_stops_it(tmp_path):
    screen, fake = finetuning_screen(tmp_path, summary(tmp_path / "never.pt"))
    state = screen.state
    screen.press("f")
    tick_until(state, lambda s: status_of(s).startswith("fine-tuning: "))
    screen.press(27)
    assert not state.running
    assert logged(state) == ["finetune started", "finetune stopping", "exit"]
    assert fake.stopped.wait(5), "the run was not asked to stop"
    assert state.teaching.finetuner.join(5)  # what the app does before it exits
    assert [type(news) for news in state.teaching.finetuner.news()] == [Failed]


def test_waiting_for_a_run_that_does_not_stop_is_bounded(tmp_path):
    screen, fake = finetuning_screen(tmp_path, summary(tmp_path / "never.pt"), deaf=True)
    screen.press("f")
    screen.press(27)
    finetuner = screen.state.teaching.finetuner
    start = time.monotonic()
    assert not finetuner.join(0.2) and finetuner.alive
    assert time.monotonic() - start < 5
    fake.release.set()
    assert finetuner.join(5)
