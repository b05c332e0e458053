"""The app's verbose log: one line per event, every line's format written here and nowhere else.

Tests and users parse these lines (README lists them), so their text is a contract. The app
queues lines as things happen; the window's loop takes them once per tick and prints them
with -v.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from os import PathLike

    from digitnet.common.box import Box
    from digitnet.reading.result import Reading


class EventLog:
    """Lines queued for the verbose log, oldest first."""

    def __init__(self) -> None:
        self._lines: list[str] = []

    def take(self) -> list[str]:
        """The lines queued since the last call."""
        lines, self._lines = self._lines, []
        return lines

    def layout(self, image: Box, canvas: Box) -> None:
        """The window's image and the canvas in it changed: where a mouse position lands."""
        self._lines.append(f"layout image={_where(image)} canvas={_where(canvas)}")

    def ready(self, model: str, load_s: float) -> None:
        """The model is loaded: from here on, drawings are read."""
        self._lines.append(f"ready model={model} load_ms={1000 * load_s:.0f}")

    def prediction(self, reading: Reading, latency_s: float, trigger: str) -> None:
        """A reading of the drawing; trigger: live, mouseup, key or model (a new model in use).

        One part: its digit and confidence (`digit=none` when not a digit, which keeps the
        model's raw confidence, 0 for a speck, which the model is not asked about). Several:
        `digit=none` and the least confident part's confidence. ` rejected=yes` when a part is
        not a digit; last ` number=N`, the digits read left to right (`none`: blank, or a part
        is not a digit).
        """
        part = reading.single
        digit = None if part is None else part.digit
        line = (f"prediction digit={'none' if digit is None else digit} "
                f"confidence={reading.least_confidence:.3f} "
                f"latency_ms={1000 * latency_s:.1f} trigger={trigger}")
        if reading.rejected_parts:
            line += " rejected=yes"
        self._lines.append(f"{line} number={reading.number or 'none'}")

    def stroke(self, points: int) -> None:
        """A stroke finished, with the points the window delivered for it."""
        self._lines.append(f"stroke points={points}")

    def clear(self) -> None:
        self._lines.append("clear")

    def undo(self) -> None:
        self._lines.append("undo")

    def brush(self, size: float, pixels: int) -> None:
        """The brush changed: its diameter as a share of the canvas, and in pixels as shown."""
        self._lines.append(f"brush size={size:.4f} px={pixels}")

    def sample_saved(self, digit: int, path: str | PathLike[str]) -> None:
        self._lines.append(f"sample digit={digit} path={path}")

    def sample_removed(self, path: str | PathLike[str]) -> None:
        """A sample taken back (Z right after saving it): its file is deleted."""
        self._lines.append(f"sample removed path={path}")

    def sample_refused(self, reason: str) -> None:
        """A digit key that saved nothing, and why (nothing drawn, several digits, ...)."""
        self._lines.append(f"sample refused reason={reason}")

    def sample_failed(self, error: str) -> None:
        self._lines.append(f"sample failed error={error}")

    def finetune_started(self) -> None:
        self._lines.append("finetune started")

    def finetune_stopping(self) -> None:
        self._lines.append("finetune stopping")

    def finetune_done(self, weights: str | PathLike[str]) -> None:
        self._lines.append(f"finetune done weights={weights}")

    def finetune_kept(self, weights: str | PathLike[str], reason: str) -> None:
        """A fine-tuned model the adoption rule turned down: written, not in use."""
        self._lines.append(f"finetune kept weights={weights} reason={reason}")

    def finetune_failed(self, error: str) -> None:
        self._lines.append(f"finetune failed error={error}")

    def view(self, shown: str) -> None:
        """D: the canvas shows the camera's picture or the drawing."""
        self._lines.append(f"view {shown}")

    def frozen(self, frozen: bool) -> None:
        """S with the camera on show: its picture and reading are frozen, or go on."""
        self._lines.append("freeze" if frozen else "go on")

    def camera_fps(self, fps: float) -> None:
        """Once a second while watching a camera: the pictures it sent in the last second."""
        self._lines.append(f"camera fps={fps:.0f}")

    def camera_problem(self, problem: str) -> None:
        """The camera stopped sending pictures, or the video ended: why."""
        self._lines.append(f"camera problem={problem}")

    def steady(self, number: str | None) -> None:
        """The camera's steady number changed (`none`: none is steady)."""
        self._lines.append(f"steady number={number or 'none'}")

    def exit(self) -> None:
        self._lines.append("exit")


def _where(box: Box) -> str:
    """A box as the log writes it, left,top,width,height: bench/app_window.py parses it."""
    return f"{box.left},{box.top},{box.width},{box.height}"
