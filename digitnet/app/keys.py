"""The app's keys: one table that the key handler, the help line and --help all read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digitnet.app.state import AppState


@dataclass(frozen=True)
class Binding:
    key: str  # as the help line names it
    does: str  # as the help line describes it
    explains: str  # what it does, in a sentence for --help
    codes: tuple[int, ...]  # what cv2.waitKey returns for it
    action: Callable[[AppState, int], None]  # called with the state and the key's code
    watching: str | None = None  # what the help line says while the camera is on show
    # (None: left out then)


def _codes(*chars: str) -> tuple[int, ...]:
    return tuple(ord(c) for c in chars)


# The one table of keys: the key handler, the help line and --help all read it.
KEYS: tuple[Binding, ...] = (
    Binding("S", "classify", "classify the drawing now (releasing the mouse button does too); "
            "with the camera on show, freeze its picture and reading, or go on",
            _codes("s", "S"), lambda app, key: app.request_recognition(), "freeze"),
    Binding("C", "clear", "clear the canvas; with the camera, go on after S froze it",
            _codes("c", "C"), lambda app, key: app.clear(), "go on"),
    # Z, and Backspace (8, or 127 on some systems)
    Binding("Z", "undo", "undo the last stroke, or take back the sample just saved (Backspace "
            "does too)", _codes("z", "Z", "\b", "\x7f"), lambda app, key: app.undo()),
    Binding("[", "brush", "a thinner brush", _codes("["), lambda app, key: app.thinner()),
    Binding("]", "brush", "a thicker brush", _codes("]"), lambda app, key: app.thicker()),
    Binding("0-9", "save", "save the drawing as a sample of that digit, for F to learn from",
            _codes(*"0123456789"), lambda app, key: app.save_sample(int(chr(key)))),
    Binding("F", "fine-tune", "fine-tune the model in use on the saved samples, in the "
            "background; the app switches to the new model only if it reads the samples held "
            "aside at least as well and MNIST about as well (the status line says which)",
            _codes("f", "F"), lambda app, key: app.start_finetune()),
    Binding("D", "camera", "switch between the camera's picture and the drawing (with "
            "--camera)", _codes("d", "D"), lambda app, key: app.switch_view(), "draw"),
    Binding("Esc", "quit", "quit (the window's close button does too)", _codes("\x1b"),
            lambda app, key: app.quit(), "quit"),
)


def help_line(watching: bool = False, camera: bool = False) -> str:
    """'S classify   C clear ...': neighbouring keys that do alike share one entry ('[ ] brush').
    `watching`: the camera is on show (its keys only); `camera`: there is one to switch to."""
    shown = [(b, b.watching if watching else b.does) for b in KEYS
             if (b.watching if watching else camera or b.key != "D")]
    groups = groupby(shown, lambda pair: pair[1])
    return "   ".join(" ".join(b.key for b, _ in group) + " " + does for does, group in groups)
