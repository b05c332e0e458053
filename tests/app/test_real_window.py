"""The real window, under a private Xvfb, driven with xdotool the way a person drives it:
drawing, keys, numbers, a person's pace beside a busy core, the camera.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import paper_video
from shapes import DIGITS
from window_driver import (
    NUMBER,
    PREDICTION,
    SEVEN,
    App,
    layout,
)

from digitnet.data.samples import SampleStore

pytestmark = pytest.mark.usefixtures("end_every_app")


def test_draw_classify_resize_clear_and_quit(display, tmp_path, untrained_weights):
    app = App(display, tmp_path / "samples", "--weights", untrained_weights, "--size", "960x600")
    image, canvas = layout(app, 960, 600)
    assert canvas[2] == canvas[3] > 300
    app.expect(r"ready model=simple load_ms=\d+")
    app.xdotool("windowfocus", app.window())  # keys go to the focused window

    app.drag(image, canvas, SEVEN)
    app.expect(PREDICTION + "live" + NUMBER)  # while the stroke was drawn
    app.expect(PREDICTION + r"mouseup" + NUMBER)
    app.xdotool("key", "s")
    app.expect(PREDICTION + "key" + NUMBER)

    app.xdotool("windowsize", app.window(), 360, 640)  # portrait: the layout follows
    image, canvas = layout(app, 360, 640)
    assert canvas[0] + canvas[2] <= 360 and canvas[2] == canvas[3]
    app.drag(image, canvas, [(0.5, 0.1), (0.5, 0.9)])
    app.expect(r"prediction digit=\d .*trigger=mouseup number=\d")
    app.xdotool("key", "z")
    app.expect("undo")
    app.xdotool("key", "c")
    app.expect("clear")
    app.expect(PREDICTION.replace(r"(\d|none)", "none") + "key number=none")
    app.xdotool("key", "Escape")
    app.expect("exit")
    start = time.monotonic()
    assert app.finish() == 0
    assert time.monotonic() - start < 1.0  # gone with its window: nothing to wait for
    assert app.process.stderr.read() == ""


def test_a_digit_key_saves_the_drawing_as_a_sample(display, tmp_path, untrained_weights):
    samples = tmp_path / "samples"
    app = App(display, samples, "--weights", untrained_weights, "--size", "800x600")
    image, canvas = layout(app, 800, 600)
    app.expect(r"ready .*")
    app.xdotool("windowfocus", app.window())
    app.drag(image, canvas, SEVEN)
    app.expect(PREDICTION + "mouseup" + NUMBER)
    app.xdotool("key", "3")
    path = Path(app.expect(r"sample digit=3 path=(.+)")[1])
    assert path.parent == samples and path.is_file()
    (sample,), _ = SampleStore(samples).load_all()
    assert sample.label == 3 and sample.path == path
    # saving cleared the canvas
    app.expect(PREDICTION.replace(r"(\d|none)", "none") + "key number=none")
    # one sample is too few: the real fine-tuning says so, in the background
    app.xdotool("key", "f")
    app.expect("finetune started")
    app.expect(r"finetune failed error=too few samples in .*: digit 3 has 1 \(4 more needed\).*")
    app.xdotool("key", "Escape")
    app.expect("exit")
    assert app.finish() == 0
    assert app.process.stderr.read() == ""


@pytest.mark.parametrize("flags, prediction", [
    ((), PREDICTION.replace(r"(\d|none)", "none") + r"mouseup rejected=yes number=none"),
    (("--no-reject",), PREDICTION.replace(r"(\d|none)", r"\d") + r"mouseup number=\d"),
], ids=["default", "no-reject"])
def test_a_click_is_a_speck_not_a_digit_unless_rejection_is_off(display, tmp_path,
                                                                 untrained_weights, flags,
                                                                 prediction):
    app = App(display, tmp_path / "samples", "--weights", untrained_weights, "--size", "800x600",
              *flags)
    image, canvas = layout(app, 800, 600)
    app.expect(r"ready .*")
    app.drag(image, canvas, [(0.4, 0.6)])  # press and release in one place: a dot
    match = app.expect(PREDICTION + r"mouseup.*")
    assert re.fullmatch(prediction, match[0]), match[0]
    app.xdotool("windowfocus", app.window())
    app.xdotool("key", "Escape")
    app.expect("exit")
    assert app.finish() == 0 and app.process.stderr.read() == ""


def in_slot(points, slot: int, slots: int):
    """A digit's points (drawn on the whole canvas), moved into one of `slots` side by side."""
    width = 0.9 / slots
    return [(0.05 + (slot + (u - 0.2) / 0.6) * width, 0.5 + (v - 0.5) * min(1.0, 2.4 * width))
            for u, v in points]


# a 1 with a flag, a 7, a 0: one stroke each, plainly drawn
ONE, ZERO = DIGITS[1][0], DIGITS[0][0]


def test_a_number_drawn_digit_by_digit_is_read_as_a_number(display, tmp_path):
    """With the shipped model: a plainly drawn 1, 7 and 0 read as 170."""
    samples = tmp_path / "samples"
    app = App(display, samples, "--size", "960x600")
    image, canvas = layout(app, 960, 600)
    app.expect(r"ready .*")
    app.xdotool("windowfocus", app.window())
    numbers = []
    for slot, digit in enumerate([ONE, SEVEN, ZERO]):
        app.drag(image, canvas, in_slot(digit, slot, 3))
        match = app.expect(PREDICTION + "mouseup" + NUMBER)
        numbers.append(match[3])
    assert re.fullmatch(r"prediction digit=none .* number=170", app.seen[-1]), app.seen[-1]
    assert numbers == ["1", "17", "170"], app.seen
    app.xdotool("key", "1")  # a number is not saved as a sample of a digit: refused once read
    app.expect("sample refused reason=not saved: draw one digit to save a sample")
    app.xdotool("key", "z")
    app.expect("undo")
    assert not any(line.startswith("sample digit") for line in app.seen) and not samples.exists()
    app.xdotool("key", "Escape")
    app.expect("exit")
    assert app.finish() == 0 and app.process.stderr.read() == ""


FOUR = DIGITS[4]  # two strokes
POINT_GAP_S = 0.01  # a mouse reports a point about every 10 ms
STROKE_S = 0.4  # a stroke at a person's pace


def paced_stroke(app: App, image, canvas, points) -> int:
    """One stroke at a person's pace (App.stroke): a point every POINT_GAP_S, evenly along
    it, nowhere resting once pressed. Returns the points sent."""
    corners = np.array(points, np.float64)
    along = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(corners, axis=0), axis=1))])
    ticks = np.linspace(0, along[-1], round(STROKE_S / POINT_GAP_S))
    path = [(image[0] + canvas[0] + round(np.interp(t, along, corners[:, 0]) * canvas[2]),
             image[1] + canvas[1] + round(np.interp(t, along, corners[:, 1]) * canvas[3]))
            for t in ticks]
    moves: list[object] = []
    for x, y in path[1:]:
        moves += ["sleep", POINT_GAP_S, "mousemove", x, y]
    app.stroke(path[0], moves)
    return len(path)


def test_at_a_persons_pace_beside_a_busy_core_no_stroke_key_or_reading_is_lost(display,
                                                                                tmp_path):
    """With the shipped model and another process keeping a core busy: digits drawn at a
    person's pace, C pressed as soon as each is read and the next begun at once, then six quick
    bracket presses. Every digit reads right, every stroke keeps its points, every key counts."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        app = App(display, tmp_path / "samples", "--size", "960x600")
        image, canvas = layout(app, 960, 600)
        app.expect(r"ready .*")
        app.xdotool("windowfocus", app.window())
        for digit, strokes in [("1", [ONE]), ("7", [SEVEN]), ("0", [ZERO]), ("4", FOUR)]:
            for stroke in strokes:
                sent = paced_stroke(app, image, canvas, stroke)
                kept = int(app.expect(r"stroke points=(\d+)")[1])
                assert kept >= 0.8 * sent, f"{kept} of {sent} points kept"
            reading = app.settled(PREDICTION + "mouseup" + NUMBER, PREDICTION + ".*")
            assert reading[1] == digit, app.seen
            app.xdotool("key", "c")
            app.expect("clear")
        app.xdotool("key", *["bracketright"] * 3, *["bracketleft"] * 3)
        for _ in range(6):
            app.expect(r"brush size=.*")
        app.xdotool("key", "Escape")
        app.expect("exit")
        assert app.finish() == 0 and app.process.stderr.read() == ""
    finally:
        busy.kill()
        busy.wait()


def test_a_video_played_as_a_camera_is_read_steadily_and_d_switches_to_drawing(display,
                                                                              tmp_path):
    """With the shipped model: a number on paper, shaking a little, looped."""
    video = paper_video(tmp_path / "number.mp4", frames=45)
    app = App(display, tmp_path / "samples", "--camera", video, "--loop", "--size", "800x600")
    image, canvas = layout(app, 800, 600)
    app.expect(r"ready .*")
    app.expect(PREDICTION + "camera" + NUMBER)
    app.expect(r"steady number=170")
    app.expect(r"camera fps=\d+")
    app.xdotool("key", "--window", app.window(), "d")
    app.expect("view drawing")
    app.drag(image, canvas, SEVEN)
    app.expect(PREDICTION + "mouseup" + NUMBER)
    app.xdotool("key", "--window", app.window(), "Escape")
    app.expect("exit")
    assert app.finish() == 0 and app.process.stderr.read() == ""


def test_a_file_that_is_not_a_video_is_one_error_line_and_exit_2(display, tmp_path):
    fake = tmp_path / "holiday.mp4"
    fake.write_text("not a video")
    app = App(display, tmp_path / "samples", "--camera", fake)
    assert app.finish() == 2
    assert app.process.stderr.read() == f"error: {fake}: not a video file (OpenCV could not " \
                                        "open it)\n"
