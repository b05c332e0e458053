"""The real-time app without a window: mouse and keys through the app's own handlers, layout, rendering."""

import re
import socket
import threading
import time
from dataclasses import fields
from pathlib import Path

import cv2
import numpy as np
import pytest

import realtime_opencv
from conftest import REPO_ROOT, require
from digitnet import DigitnetError
from digitnet.app import BRUSH_RANGE, KEYS, LIVE_INTERVAL_S, AppState, help_line, render_canvas
from digitnet.background import BackgroundFinetune
from digitnet.drawing import DEFAULT_BRUSH, render_strokes
from digitnet.finetune import FinetuneStopped
from digitnet.layout import Layout, Rect, compute_layout
from digitnet.preprocess import to_mnist
from digitnet.recognizer import Prediction, Recognizer
from digitnet.samples import SampleStore
from digitnet.ui import ACCENT, ERROR, TEXT, render_frame, samples_line, wrap_in_two

DOWN, MOVE, UP, BUTTON = cv2.EVENT_LBUTTONDOWN, cv2.EVENT_MOUSEMOVE, cv2.EVENT_LBUTTONUP, cv2.EVENT_FLAG_LBUTTON
SIZES = [(320, 240), (240, 320), (480, 360), (360, 640), (640, 480), (800, 600), (1280, 720), (720, 1280),
         (1280, 400), (400, 1280), (1920, 1080), (3840, 2160), (2160, 3840), (600, 600)]
TINY = [(1, 1), (16, 12), (40, 30), (100, 75), (200, 20), (20, 200)]
# digits as a person draws them, in canvas units
DIGITS = {
    0: [[(0.5, 0.15), (0.32, 0.25), (0.27, 0.5), (0.32, 0.75), (0.5, 0.85), (0.68, 0.75), (0.73, 0.5),
         (0.68, 0.25), (0.5, 0.15)]],
    1: [[(0.45, 0.25), (0.55, 0.15), (0.55, 0.85)]],
    4: [[(0.6, 0.15), (0.25, 0.6), (0.75, 0.6)], [(0.6, 0.35), (0.6, 0.85)]],
    7: [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]],
}


def app(size=(1280, 720), recognizer=None, **parts) -> AppState:
    """An AppState laid out for a frame of `size`; `parts`: its sample store, its fine-tuner."""
    state = AppState(recognizer or StandIn(), **parts)
    state.layout = compute_layout(*size)
    return state


def pixel(canvas: Rect, u: float, v: float) -> tuple[int, int]:
    return canvas.x + round(u * canvas.w), canvas.y + round(v * canvas.h)


def drag(state: AppState, points, steps: int = 1) -> None:
    """Press, move through `points` (canvas units, `steps` mouse events per segment), release."""
    canvas = state.layout.canvas
    state.on_mouse(DOWN, *pixel(canvas, *points[0]), BUTTON)
    for (u0, v0), (u1, v1) in zip(points, points[1:]):
        for t in np.linspace(0, 1, steps + 1)[1:]:
            state.on_mouse(MOVE, *pixel(canvas, u0 + t * (u1 - u0), v0 + t * (v1 - v0)), BUTTON)
    state.on_mouse(UP, *pixel(canvas, *points[-1]), BUTTON)


class StandIn:
    """A recognizer that records what it is shown and always answers 3."""

    def __init__(self, path: str = "stand-in.pt"):
        self.meta = {"model": "stand-in", "path": path}
        self.seen = []

    def classify_images(self, images):
        self.seen.append(images)
        probs = (0.02,) * 3 + (0.82,) + (0.02,) * 6
        return [Prediction(3, 0.82, probs)]


# mouse


def test_a_drag_draws_one_stroke_in_canvas_units():
    state = app()
    drag(state, [(0.2, 0.3), (0.5, 0.5), (0.8, 0.6)])
    assert len(state.strokes) == 1 and state.current is None
    np.testing.assert_allclose(state.strokes[0], [(0.2, 0.3), (0.5, 0.5), (0.8, 0.6)], atol=1 / 637)
    assert state.recognition_due(now=0.0) == "mouseup"


def test_strokes_start_only_on_the_canvas_and_are_clipped_to_it():
    state = app()
    canvas = state.layout.canvas
    state.on_mouse(DOWN, canvas.right + 5, canvas.y + 5, BUTTON)  # on the panel
    state.on_mouse(MOVE, canvas.x + 50, canvas.y + 50, BUTTON)
    state.on_mouse(UP, canvas.x + 50, canvas.y + 50, BUTTON)
    assert state.strokes == [] and state.current is None
    state.on_mouse(DOWN, canvas.x + 10, canvas.y + 10, BUTTON)
    state.on_mouse(MOVE, canvas.x - 40, canvas.bottom + 40, BUTTON)  # off the canvas, down-left
    state.on_mouse(UP, canvas.x - 40, canvas.bottom + 40, BUTTON)
    assert state.strokes[0][-1].tolist() == [0.0, 1.0]


def test_repeated_positions_add_no_points_and_a_move_without_the_button_ends_the_stroke():
    state = app()
    canvas = state.layout.canvas
    state.on_mouse(DOWN, canvas.x + 10, canvas.y + 10, BUTTON)
    for _ in range(3):
        state.on_mouse(MOVE, canvas.x + 20, canvas.y + 10, BUTTON)
    assert len(state.current) == 2
    state.on_mouse(MOVE, canvas.x + 30, canvas.y + 10, 0)  # the release happened where we did not see it
    assert state.current is None and len(state.strokes) == 1 and len(state.strokes[0]) == 2
    state.on_mouse(MOVE, canvas.x + 40, canvas.y + 10, 0)  # plain hovering draws nothing
    assert len(state.strokes) == 1 and state.current is None


def test_a_fast_stroke_leaves_no_gaps():
    state = app()
    drag(state, [(0.1, 0.5), (0.9, 0.5)])  # two mouse events across the whole canvas
    canvas = render_canvas(state, state.layout.canvas.size)
    row = canvas[canvas.shape[0] // 2]
    side = canvas.shape[1]
    assert (row[round(0.1 * side) : round(0.9 * side)] == 255).all()


def test_the_stroke_being_drawn_is_shown_and_classified_live():
    state = app()
    canvas = state.layout.canvas
    state.on_mouse(DOWN, *pixel(canvas, 0.5, 0.2), BUTTON)
    state.on_mouse(MOVE, *pixel(canvas, 0.5, 0.8), BUTTON)
    assert render_canvas(state, (100, 100))[50, 50] == 255
    assert state.recognition_due(now=0.0) == "live"
    state.recognize("live", now=0.0)
    assert state.recognition_due(now=1.0) is None  # nothing new drawn
    state.on_mouse(MOVE, *pixel(canvas, 0.6, 0.8), BUTTON)
    assert state.recognition_due(now=LIVE_INTERVAL_S / 2) is None  # throttled
    assert state.recognition_due(now=LIVE_INTERVAL_S) == "live"
    state.on_mouse(UP, *pixel(canvas, 0.6, 0.8), BUTTON)
    assert state.recognition_due(now=LIVE_INTERVAL_S / 2) == "mouseup"  # mouse-up is never throttled


# keys


def press(state: AppState, key: str | int) -> None:
    state.on_key(key if isinstance(key, int) else ord(key))


@pytest.mark.parametrize("key", ["z", "Z", 8, 127])
def test_undo_removes_the_last_stroke(key):
    state = app()
    drag(state, [(0.2, 0.2), (0.8, 0.2)])
    drag(state, [(0.5, 0.2), (0.5, 0.8)])
    press(state, key)
    assert len(state.strokes) == 1 and state.strokes[0][0].tolist() == pytest.approx([0.2, 0.2], abs=0.01)
    assert state.recognition_due(now=0.0) == "key"  # the prediction follows the drawing
    assert state.take_log() == ["undo"]


def test_undo_while_drawing_drops_the_stroke_in_progress_and_undo_on_nothing_does_nothing():
    state = app()
    drag(state, [(0.2, 0.2), (0.8, 0.2)])
    state.on_mouse(DOWN, *pixel(state.layout.canvas, 0.5, 0.5), BUTTON)
    press(state, "z")
    assert state.current is None and len(state.strokes) == 1
    press(state, "z")
    press(state, "z")
    assert state.strokes == [] and state.take_log() == ["undo", "undo"]


@pytest.mark.parametrize("key", ["c", "C"])
def test_clear(key):
    state = app()
    drag(state, [(0.2, 0.2), (0.8, 0.2)])
    state.recognize("mouseup", now=0.0)
    press(state, key)
    assert state.strokes == [] and state.take_log()[-1] == "clear"
    state.recognize(state.recognition_due(now=0.0), now=0.0)
    assert state.recognition.prediction is None and state.recognition.image is None


@pytest.mark.parametrize("key", ["s", "S"])
def test_s_classifies_at_any_time(key):
    state = app()
    assert state.recognition_due(now=0.0) is None
    press(state, key)
    assert state.recognition_due(now=0.0) == "key"


def test_brackets_change_the_brush_within_its_limits_and_the_ink_follows():
    state = app()
    drag(state, [(0.5, 0.2), (0.5, 0.8)])
    ink = render_canvas(state, (200, 200)).sum()
    press(state, "]")
    assert state.brush > DEFAULT_BRUSH and render_canvas(state, (200, 200)).sum() > ink
    assert state.recognition_due(now=0.0) == "key"
    for _ in range(30):
        press(state, "[")
    assert state.brush == BRUSH_RANGE[0]
    for _ in range(30):
        press(state, "]")
    assert state.brush == BRUSH_RANGE[1]


def test_escape_quits_and_unbound_keys_are_ignored():
    state = app()
    version = state.version
    for key in ["x", "q", 225, 0]:  # 225: a lone Shift under Qt
        press(state, key)
    assert state.running and state.version == version and state.take_log() == []
    press(state, 27)
    assert not state.running and state.take_log() == ["exit"]


def test_the_help_line_comes_from_the_key_table():
    line = help_line()
    words = line.split()
    for binding in KEYS:
        assert binding.key in words and binding.does in words
    assert "[ ] brush" in line and "0-9 save" in line  # keys that do alike share one entry
    codes = [code for binding in KEYS for code in binding.codes]
    assert len(codes) == len(set(codes)), "a key code bound twice"


# recognition


def test_recognition_reads_exactly_what_to_mnist_makes_of_the_rendered_canvas():
    state = app()
    for stroke in DIGITS[4]:
        drag(state, stroke)
    state.recognize("mouseup", now=0.0)
    canvas = render_strokes(state.strokes, state.layout.canvas.size, state.brush)
    expected = to_mnist(canvas, invert=False)
    (seen,) = state.recognizer.seen
    np.testing.assert_array_equal(seen, expected[None])
    assert state.recognition.image is not None and np.array_equal(state.recognition.image, expected)
    (line,) = state.take_log()
    assert re.fullmatch(r"prediction digit=3 confidence=0\.820 latency_ms=\d+\.\d trigger=mouseup", line)


def test_a_blank_canvas_is_digit_none_without_asking_the_model():
    state = app()
    press(state, "s")
    state.recognize("key", now=0.0)
    assert state.recognizer.seen == [] and state.recognition.prediction is None
    assert re.fullmatch(r"prediction digit=none confidence=0\.000 latency_ms=\d+\.\d trigger=key", state.log[-1])


def test_the_drawing_survives_a_resize():
    state = app((1280, 720))
    for stroke in DIGITS[7]:
        drag(state, stroke, steps=5)
    big = to_mnist(render_canvas(state, state.layout.canvas.size), invert=False)
    state.layout = compute_layout(360, 640)
    small = to_mnist(render_canvas(state, state.layout.canvas.size), invert=False)
    assert np.abs(big - small).mean() < 0.03


def test_an_untrained_model_classifies_through_the_app_path(untrained_weights):
    state = app(recognizer=Recognizer.load(untrained_weights))
    for stroke in DIGITS[7]:
        drag(state, stroke)
    state.recognize("mouseup", now=0.0)
    prediction = state.recognition.prediction
    assert 0 <= prediction.digit <= 9 and sum(prediction.probs) == pytest.approx(1, abs=1e-5)
    assert state.recognition.image.shape == (28, 28)


def test_a_trained_model_reads_digits_drawn_with_the_mouse():
    weights = REPO_ROOT / "weights" / "simple.pt"
    require(weights.is_file(), f"no trained model at {weights}")
    recognizer = Recognizer.load(weights)
    for digit, strokes in DIGITS.items():
        state = app((800, 600), recognizer)
        for stroke in strokes:
            drag(state, stroke, steps=4)
        state.recognize("mouseup", now=0.0)
        assert state.recognition.prediction.digit == digit


# samples


def draw(state: AppState, digit: int) -> None:
    for stroke in DIGITS[digit]:
        drag(state, stroke, steps=3)


def test_a_digit_key_saves_the_drawing_as_a_sample_and_clears_the_canvas(tmp_path):
    store = SampleStore(tmp_path / "samples")
    state = app(samples=store)
    draw(state, 7)
    strokes, size = [s.copy() for s in state.strokes], state.layout.canvas.size
    image = to_mnist(render_strokes(strokes, size, state.brush), invert=False)
    press(state, "7")

    (sample,), warnings = store.load_all()
    assert warnings == [] and sample.label == 7 and sample.path.parent == tmp_path / "samples"
    assert len(sample.strokes) == len(strokes) and all(np.array_equal(a, b) for a, b in zip(sample.strokes, strokes))
    np.testing.assert_array_equal(sample.image, image)
    assert sample.canvas_size == size and sample.brush == state.brush
    assert state.status == "saved as 7 - 1 seven saved" and not state.status_error
    assert state.take_log() == [f"sample digit=7 path={sample.path}"]
    assert state.strokes == [] and state.recognition_due(now=0.0) == "key"  # ready for the next one


def test_counts_start_from_the_store_and_follow_each_sample(tmp_path):
    store = SampleStore(tmp_path)
    store.save(DIGITS[1], np.zeros((28, 28), np.float32), 1, canvas_size=(300, 300))
    state = app(samples=store)
    assert state.counts == [0, 1] + [0] * 8
    for _ in range(2):
        draw(state, 4)
        press(state, "6")  # the label is whatever the person says it is
    assert state.counts == store.counts() == [0, 1, 0, 0, 0, 0, 2, 0, 0, 0]
    assert state.status == "saved as 6 - 2 sixes saved"
    assert samples_line(state.counts) == "samples 0:0 1:1 2:0 3:0 4:0 5:0 6:2 7:0 8:0 9:0"


def test_a_digit_key_on_a_blank_canvas_saves_nothing_and_says_so(tmp_path):
    store = SampleStore(tmp_path / "samples")
    state = app(samples=store)
    version = state.version
    press(state, "3")
    assert not store.folder.exists() and state.counts == [0] * 10
    assert state.status.startswith("nothing to save") and state.status_error and state.version > version
    assert state.take_log() == []


def test_a_sample_that_cannot_be_written_is_reported_and_the_drawing_kept(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    state = app(samples=SampleStore(blocker))
    draw(state, 1)
    press(state, "1")
    assert state.status.startswith(f"not saved: cannot save the sample in {blocker}") and state.status_error
    assert len(state.strokes) == 1 and state.take_log()[-1].startswith("sample failed error=")


# fine-tuning


class FakeFinetune:
    """Stands in for digitnet.finetune.finetune: reports progress, waits for `release`, then returns or raises
    `outcome`; stops the way the real one does when should_stop() turns true."""

    def __init__(self, outcome):
        self.outcome = outcome
        self.calls = []
        self.release, self.stopped = threading.Event(), threading.Event()

    def __call__(self, samples_dir, weights, *, data_dir, progress, should_stop):
        self.calls.append((samples_dir, weights, data_dir, threading.current_thread()))
        progress("epoch 1/40: loss 0.5000")
        while not self.release.wait(0.01):
            if should_stop():
                self.stopped.set()
                raise FinetuneStopped("fine-tuning stopped; nothing was written")
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def summary(weights: Path) -> dict:
    """What finetune returns, as far as the app reads it."""
    return {"weights": str(weights), "held_aside_acc_before": 0.5, "held_aside_acc_after": 0.9,
            "mnist_test_acc_before": 0.99, "mnist_test_acc_after": 0.985}


def poll_until(state: AppState, done, timeout: float = 30.0) -> None:
    """What the app's loop does each tick, until `done(state)`."""
    deadline = time.monotonic() + timeout
    while not done(state):
        assert time.monotonic() < deadline, f"still waiting; status: {state.status!r}"
        state.poll_finetune()
        time.sleep(0.01)


def finetuning_app(tmp_path: Path, outcome, load=None) -> tuple[AppState, FakeFinetune]:
    fake = FakeFinetune(outcome)
    finetuner = BackgroundFinetune(tmp_path / "samples", tmp_path / "mnist", finetune=fake,
                                   **({"load": load} if load else {}))
    return app(recognizer=StandIn("base.pt"), finetuner=finetuner), fake


def test_f_fine_tunes_in_the_background_then_swaps_the_new_model_in(tmp_path):
    tuned = StandIn(str(tmp_path / "tuned.pt"))
    loaded = []

    def load(path):
        loaded.append((path, threading.current_thread()))
        return tuned

    state, fake = finetuning_app(tmp_path, summary(tmp_path / "tuned.pt"), load)
    base = state.recognizer
    press(state, "f")
    assert state.take_log() == ["finetune started"]
    poll_until(state, lambda s: s.status.startswith("fine-tuning: epoch 1/40"))

    press(state, "F")  # one run at a time
    assert state.status == "fine-tuning is already running" and len(fake.calls) == 1
    draw(state, 7)  # the window goes on working, with the old model
    state.recognize(state.recognition_due(now=0.0), now=0.0)
    assert len(base.seen) == 1 and state.recognizer is base

    fake.release.set()
    poll_until(state, lambda s: s.recognizer is tuned)
    ((samples_dir, weights, data_dir, thread),) = fake.calls
    assert (samples_dir, weights, data_dir) == (tmp_path / "samples", "base.pt", tmp_path / "mnist")
    assert loaded == [(str(tmp_path / "tuned.pt"), thread)] and thread is not threading.main_thread()
    assert state.status == ("fine-tuned, now in use: your held-aside samples 50.0 % -> 90.0 %, "
                            "MNIST test 99.00 % -> 98.50 %") and not state.status_error
    assert state.take_log()[-1] == f"finetune done weights={tmp_path / 'tuned.pt'}"
    assert state.recognition_due(now=0.0) == "model"  # the drawing on show, read again by the new model
    state.recognize("model", now=0.0)
    assert len(tuned.seen) == 1 and len(base.seen) == 1
    press(state, "f")  # the next run starts from the new model
    assert fake.calls[-1][1] == str(tmp_path / "tuned.pt")
    state.quit()
    state.finetuner.stop(wait=True)


@pytest.mark.parametrize("error, message", [
    (DigitnetError("too few samples in DIR: digit 3 has 2 (3 more needed)"),
     "too few samples in DIR: digit 3 has 2 (3 more needed)"),
    (RuntimeError("out of memory"), "RuntimeError: out of memory"),  # not ours: still no crash
])
def test_a_failed_fine_tuning_is_one_status_line_and_the_app_goes_on(tmp_path, capsys, error, message):
    state, fake = finetuning_app(tmp_path, error)
    base = state.recognizer
    fake.release.set()
    press(state, "f")
    poll_until(state, lambda s: not s.finetuner.running)
    assert state.status == f"fine-tuning failed: {message}" and state.status_error
    assert state.take_log() == ["finetune started", f"finetune failed error={message}"]
    assert state.running and state.recognizer is base
    press(state, "f")  # and it can be tried again
    assert len(fake.calls) == 2
    state.finetuner.stop(wait=True)


def test_with_too_few_samples_the_real_fine_tuning_refuses_in_one_line(tmp_path):
    store = SampleStore(tmp_path / "samples")
    state = app(samples=store, finetuner=BackgroundFinetune(store.folder))
    for _ in range(2):
        draw(state, 4)
        press(state, "4")
    press(state, "f")
    poll_until(state, lambda s: not s.finetuner.running, timeout=120)
    assert re.fullmatch(r"fine-tuning failed: too few samples in .*samples: digit 4 has 2 \(3 more needed\).*",
                        state.status)


def test_escape_during_fine_tuning_stops_it(tmp_path):
    state, fake = finetuning_app(tmp_path, summary(tmp_path / "never.pt"))
    press(state, "f")
    poll_until(state, lambda s: s.status.startswith("fine-tuning: "))
    press(state, 27)
    assert not state.running and state.take_log() == ["finetune started", "finetune stopping", "exit"]
    assert fake.stopped.wait(5), "the run was not asked to stop"
    state.finetuner.stop(wait=True)  # what the app does before it exits: returns as soon as the run has stopped
    assert [news.kind for news in state.finetuner.news()] == ["failed"]


# layout


def parts(layout: Layout) -> dict[str, Rect]:
    return {f.name: getattr(layout, f.name) for f in fields(layout) if f.name != "frame"}


def overlap(a: Rect, b: Rect) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


@pytest.mark.parametrize("size", SIZES + TINY, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_element_fits_in_the_frame_without_overlap(size):
    width, height = size
    layout = compute_layout(width, height)
    boxes = parts(layout)
    for name, box in boxes.items():
        assert box.x >= 0 and box.y >= 0 and box.right <= width and box.bottom <= height, (name, box)
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not overlap(boxes[a], boxes[b]), (a, boxes[a], b, boxes[b])
    assert layout.canvas.w == layout.canvas.h and layout.preview.w == layout.preview.h


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_usable_sizes_give_every_element_room(size):
    layout = compute_layout(*size)
    assert layout.canvas.w >= 0.5 * min(size)
    assert layout.preview.w >= 28  # one screen pixel per network pixel at least
    assert layout.bars.h >= 100 and layout.bars.w >= 100  # ten rows of legible text
    assert layout.readout.w > 0 and layout.readout.h > 0
    for line in (layout.status, layout.samples, layout.footer):  # a line of text across the frame
        assert line.h >= 10 and line.w >= 0.9 * size[0]
    landscape = size[0] >= size[1]
    panel_start = min(b.x if landscape else b.y for b in (layout.preview, layout.readout, layout.bars))
    assert panel_start > (layout.canvas.right if landscape else layout.canvas.bottom)


# rendering


@pytest.mark.parametrize("size", SIZES + TINY, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_frame_renders_at_any_size(size):
    state = app(size)
    state.strokes = [np.array(s, np.float32) for s in DIGITS[4]]
    state.recognize("key", now=0.0)
    state.status, state.status_error = "fine-tuning failed: " + "a long message " * 20, True
    frame = render_frame(state, state.layout)
    assert frame.shape == (size[1], size[0], 3) and frame.dtype == np.uint8


def test_the_frame_shows_the_canvas_the_network_input_and_the_winner():
    state = app((1280, 720))
    for stroke in DIGITS[4]:
        drag(state, stroke)
    state.recognize("mouseup", now=0.0)
    layout = state.layout
    frame = render_frame(state, layout)

    canvas = render_canvas(state, layout.canvas.size)
    np.testing.assert_array_equal(layout.canvas.view(frame), cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR))

    # the preview: 28x28 cells of a whole number of pixels, centred; each cell's centre shows its pixel
    box, image = layout.preview, state.recognition.image
    cell = box.w // 28
    top, left = box.y + (box.h - 28 * cell) // 2, box.x + (box.w - 28 * cell) // 2
    centres = frame[top + cell // 2 : top + 28 * cell : cell, left + cell // 2 : left + 28 * cell : cell, 0]
    np.testing.assert_array_equal(centres, np.round(image * 255).astype(np.uint8))

    accent = np.all(frame == ACCENT, axis=2)
    bars = layout.bars
    rows = [accent[bars.y + round(d * bars.h / 10) : bars.y + round((d + 1) * bars.h / 10), bars.x : bars.right]
            for d in range(10)]
    assert rows[3].mean() > 0.2  # the winner's bar: 82 % of its length, half the row's height
    assert all(rows[d].sum() == 0 for d in range(10) if d != 3)
    assert accent[layout.readout.y : layout.readout.bottom, layout.readout.x : layout.readout.right].any()


def status_lines(layout: Layout) -> tuple[Rect, Rect]:
    box, line_h = layout.status, layout.samples.h
    return Rect(box.x, box.y, box.w, line_h), Rect(box.x, box.bottom - line_h, box.w, line_h)


def shows(frame: np.ndarray, box: Rect, colour) -> bool:
    return bool(np.all(box.view(frame) == colour, axis=2).any())


def test_the_status_shows_above_the_samples_and_errors_stand_out(tmp_path):
    state = app(samples=SampleStore(tmp_path))
    top, bottom = status_lines(state.layout)
    press(state, "5")  # nothing drawn
    assert shows(render_frame(state, state.layout), bottom, ERROR)
    draw(state, 1)
    press(state, "1")
    frame = render_frame(state, state.layout)
    assert shows(frame, bottom, TEXT) and not shows(frame, bottom, ERROR) and not shows(frame, top, TEXT)


def test_a_long_status_is_wrapped_onto_its_two_lines():
    state = app((480, 360))
    state.status, state.status_error = "fine-tuning failed: " + "too few samples " * 8, True
    frame = render_frame(state, state.layout)
    assert all(shows(frame, line, ERROR) for line in status_lines(state.layout))
    assert wrap_in_two("aaa bb cc ddd") == ["aaa bb", "cc ddd"] and wrap_in_two("word") == ["word"]


# the script's own checks


def test_a_missing_or_unreachable_display_is_reported():
    assert "not set" in realtime_opencv.x_display_problem(None)
    assert "form" in realtime_opencv.x_display_problem("nonsense")
    unserved = next(n for n in range(700, 800) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    assert "cannot connect" in realtime_opencv.x_display_problem(f":{unserved}")
    with socket.socket() as probe:  # a TCP port that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert "cannot connect" in realtime_opencv.x_display_problem(f"127.0.0.1:{port - 6000}")


def test_window_sizes_parse():
    assert realtime_opencv.parse_size("800x600") == (800, 600)
    assert realtime_opencv.parse_size("640X480") == (640, 480)
    for bad in ["800", "axb", "0x600", "800x600x3"]:
        with pytest.raises(Exception, match="WIDTHxHEIGHT|positive"):
            realtime_opencv.parse_size(bad)


def test_folders_parse(tmp_path):
    assert realtime_opencv.parse_folder(str(tmp_path / "new")) == tmp_path / "new"  # made when needed
    (tmp_path / "file").write_text("")
    with pytest.raises(Exception, match="not a folder"):
        realtime_opencv.parse_folder(str(tmp_path / "file"))
