"""The app watching a camera: the picture on show, the steady number, freezing.

Plain state, like the drawing's: the window's loop calls `tick`, the reader reads the
picture `due` returns, and `read` takes its reading (which the app then shows, as it shows
a drawing's). Pictures come from digitnet.app.camera's feed; tests hand in any object with its
`newest`, `fps` and `problem`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from digitnet.app.camera import Picture, SteadyNumber

if TYPE_CHECKING:
    from digitnet.app.events import EventLog
    from digitnet.reading.result import Reading


class Feed(Protocol):
    problem: str | None

    def newest(self) -> Picture: ...

    def fps(self, now: float) -> float: ...


class Watching:
    """The camera's side of the app."""

    def __init__(self, feed: Feed, events: EventLog):
        self.feed, self.events = feed, events
        self.picture = feed.newest()  # the picture on show
        self.steady = SteadyNumber()
        self.frozen = False
        self.on = True  # the canvas shows the camera (D shows the drawing instead)
        self.problem: str | None = None  # shown on the status line once
        self.version = 0  # changes whenever the camera's part of the frame does
        self._asked = -1  # the number of the picture last asked to be read
        self._next_fps_log = 0.0

    def tick(self, now: float) -> None:
        """Take the newest picture (unless frozen), log the frame rate once a second, and
        notice the feed stopping."""
        picture = self.feed.newest()
        if not self.frozen and picture.number != self.picture.number:
            self.picture = picture
            self.version += 1
        if now >= self._next_fps_log and not self.problem:
            self._next_fps_log = now + 1.0
            self.events.camera_fps(self.feed.fps(now))
        if self.feed.problem and self.problem is None:
            self.problem = self.feed.problem
            self.events.camera_problem(self.problem)

    def due(self) -> Picture | None:
        """The picture to read now: the one on show, if not read or asked for yet."""
        if self.frozen or self.picture.number == self._asked:
            return None
        self._asked = self.picture.number
        return self.picture

    def read(self, reading: Reading, picture: Picture, seconds: float, now: float) -> bool:
        """A picture's reading, logged; False if another picture was frozen since (it is not
        shown). The steady number follows the readings."""
        if self.frozen and picture.number != self.picture.number:
            return False
        self.events.prediction(reading, seconds, "camera")
        if self.steady.add(reading.number, now):
            self.events.steady(self.steady.shown)
        self.version += 1
        return True

    def toggle_freeze(self) -> None:
        """S: keep this picture and its reading on show (the bars stay inspectable), or go on."""
        self.frozen = not self.frozen
        self.version += 1
