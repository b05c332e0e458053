"""The camera: a video file played as a camera, the steady number, and the app watching it."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest
from helpers import paper_video
from screen import DOWN, Screen, by_place, logged
from shapes import NUMBER_STROKES

from digitnet.app.camera import (
    HOLD_S,
    STEADY_READINGS,
    CameraError,
    CameraFeed,
    Picture,
    SteadyNumber,
)
from digitnet.app.frame import keys_help
from digitnet.common.sketch import render_strokes

# the feed


def test_a_video_file_plays_as_a_camera_at_its_own_pace_and_says_when_it_ends(tmp_path):
    feed = CameraFeed(str(paper_video(tmp_path / "v.mp4", frames=15, fps=30)))
    start = time.perf_counter()
    while feed.problem is None and time.perf_counter() - start < 10:
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    assert feed.problem == "the video ended after 15 frames"
    assert 0.3 < elapsed < 3  # half a second of video: not at once, not stuck
    picture = feed.newest()
    assert picture.number == 14 and picture.size == (320, 240) and picture.image.shape[2] == 3


def test_a_looped_video_plays_again_from_its_start(tmp_path):
    feed = CameraFeed(str(paper_video(tmp_path / "v.mp4", frames=6, fps=30)), loop=True)
    deadline = time.perf_counter() + 10
    while feed.newest().number < 20 and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert feed.newest().number >= 20 and feed.problem is None
    assert 15 <= feed.fps(time.perf_counter()) <= 45
    feed.close()


@pytest.mark.parametrize("source, message", [
    ("missing.mp4", "missing.mp4: no such video file (give a camera's index, e.g. 0, or a "
                    "video file)"),
    ("not-a-video.mp4", "not-a-video.mp4: not a video file"),
    ("99", "no camera at index 99"),
])
def test_what_cannot_give_pictures_is_one_clear_error(tmp_path, monkeypatch, source, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "not-a-video.mp4").write_text("hello")
    with pytest.raises(CameraError) as error:
        CameraFeed(source)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


# the steady number


def test_a_number_is_steady_once_it_reads_the_same_a_few_times_in_a_row():
    steady = SteadyNumber()
    for i in range(STEADY_READINGS - 1):
        assert not steady.add("170", 0.1 * i) and steady.shown is None and steady.unsure
    assert steady.add("170", 0.3) and steady.shown == "170" and not steady.unsure


def test_a_steady_number_is_held_while_the_paper_shakes_then_given_up():
    steady = SteadyNumber()
    for i in range(STEADY_READINGS):
        steady.add("170", 0.1 * i)
    steady.add("110", 0.4)  # a reading the shaking spoilt
    steady.add(None, 0.5)  # and one that found no number
    assert steady.shown == "170" and steady.unsure
    steady.add(None, 0.2 + HOLD_S + 0.01)
    assert steady.shown is None


def test_a_new_number_replaces_the_steady_one_only_once_it_is_steady_itself():
    steady = SteadyNumber()
    for i in range(STEADY_READINGS):
        steady.add("170", 0.1 * i)
    changes = [steady.add("2026", 0.3 + 0.1 * i) for i in range(STEADY_READINGS)]
    assert changes == [False] * (STEADY_READINGS - 1) + [True] and steady.shown == "2026"


# the app watching


class StillFeed:
    """A camera that sends one new picture each time the test says so."""

    def __init__(self, size=(320, 240)):
        ink = render_strokes([np.array(s, np.float32) for s in NUMBER_STROKES], size, 0.03)
        self.image = cv2.cvtColor(235 - (0.8 * ink).astype(np.uint8), cv2.COLOR_GRAY2BGR)
        self.picture = Picture(self.image, 0, 0.0)
        self.problem: str | None = None

    def newest(self) -> Picture:
        return self.picture

    def fps(self, now: float) -> float:
        return 30.0

    def send(self) -> None:
        self.picture = Picture(self.image, self.picture.number + 1, time.perf_counter())


def watching_screen() -> tuple[Screen, StillFeed]:
    feed = StillFeed()
    return Screen(classifier=by_place(0.95, 0.95, 0.95), camera=feed), feed


def test_the_app_reads_each_new_picture_and_shows_the_steady_number():
    screen, feed = watching_screen()
    state = screen.state
    for i in range(STEADY_READINGS):
        feed.send()
        state.tick(10.0 + 0.2 * i)
    lines = logged(state)
    assert [line for line in lines if "trigger=camera" in line] and "steady number=123" in lines
    assert state.reading.number == "123" and state.watching.steady.shown == "123"
    state.tick(20.0)  # no new picture: no new reading
    assert not any("trigger=camera" in line for line in logged(state))


def test_s_freezes_the_picture_and_its_reading_and_s_or_c_goes_on():
    screen, feed = watching_screen()
    state = screen.state
    feed.send()
    state.tick(1.0)
    screen.press("s")
    frozen = state.watching.picture.number
    feed.send()
    state.tick(2.0)
    assert state.watching.picture.number == frozen and "freeze" in logged(state)
    screen.press("c")
    state.tick(3.0)
    assert state.watching.picture.number == frozen + 1 and "go on" in logged(state)


def test_d_switches_between_the_camera_and_the_drawing_and_their_keys():
    screen, feed = watching_screen()
    state = screen.state
    assert keys_help(state) == "S freeze   C go on   D draw   Esc quit"
    screen.mouse(DOWN, *screen.pixel(0.5, 0.5))  # the camera's picture is not drawn on
    assert state.drawing.blank
    screen.save("3")
    assert state.teaching.status.text == "not saved: samples are drawn, press D to draw one"
    screen.press("d")
    assert not state.watching_camera and "view drawing" in logged(state)
    assert keys_help(state).startswith("S classify") and "D camera" in keys_help(state)
    screen.draw(7)
    assert not state.drawing.blank
    screen.press("d")
    assert state.watching_camera and state.reading.digits == ()


def test_without_a_camera_d_says_how_to_have_one():
    screen = Screen()
    screen.press("d")
    assert screen.state.teaching.status.text.startswith("no camera: start the app with --camera")
    assert "D " not in keys_help(screen.state)


def test_a_camera_that_stops_says_so_and_the_app_goes_on():
    screen, feed = watching_screen()
    feed.problem = "the camera stopped sending pictures (unplugged?)"
    screen.state.tick(1.0)
    status = screen.state.teaching.status
    assert status.error and status.text == ("the camera stopped sending pictures (unplugged?): "
                                            "D draws instead")
    assert "camera problem=the camera stopped sending pictures (unplugged?)" in \
        logged(screen.state)
    screen.press("d")
    screen.draw(1)
    assert not screen.state.drawing.blank
