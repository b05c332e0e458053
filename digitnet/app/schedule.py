"""When the app asks for a reading: at once when asked, and while drawing (or watching a camera)
as often as readings allow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digitnet.app.drawing import Drawing


class ReadingSchedule:
    """When to ask for a reading: at once when asked (mouse-up, a key, a new model), and while a
    stroke is being drawn whenever it has changed and the reader is idle, paced by how long
    readings take: the next live reading starts no sooner after the last one ended than that
    one took. On a quiet machine the bars follow the pen within milliseconds; on a busy one
    reading takes at most about half of a core, and the window keeps the rest."""

    def __init__(self) -> None:
        self._request: str | None = None  # the trigger of a reading asked for
        self._asked_version = -1  # the drawing's version when last asked for
        self._next_live = -float("inf")

    def request(self, trigger: str) -> None:
        self._request = trigger

    def due(self, drawing: Drawing, now: float, reader_idle: bool) -> str | None:
        """The trigger of the reading to ask for now, if any: requested ones first, then live."""
        if self._request:
            return self._request
        changed = drawing.version != self._asked_version
        if drawing.in_stroke and changed and self.paced(now, reader_idle):
            return "live"
        return None

    def paced(self, now: float, reader_idle: bool) -> bool:
        """A reading nobody waits for (live, or a camera's picture) may start now."""
        return reader_idle and now >= self._next_live

    def asked(self, drawing: Drawing) -> None:
        self._request, self._asked_version = None, drawing.version

    def read(self, seconds: float, now: float) -> None:
        """A reading that took `seconds` has just been taken."""
        self._next_live = now + seconds
