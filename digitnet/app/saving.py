"""A sample on its way from a digit key to the store: `PendingSave` waits for the model's reading
of the drawing as it was when the key was pressed (digitnet.app.state saves or refuses it
then), `LastSave` is what Z takes back while nothing has been drawn since.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from digitnet.app.workers import ReadRequest
from digitnet.common.sketch import Sketch, Stroke

if TYPE_CHECKING:
    from digitnet.model.classifier import Classifier


@dataclass(frozen=True)
class PendingSave:
    """A digit key pressed on a drawing the model had not read yet: saved once it has."""

    label: int
    sketch: Sketch  # the drawing as it was when the key was pressed
    generation: int
    version: int
    confirmed: bool = False  # pressed twice: saved even if the model reads it as not a digit

    def request(self, classifier: Classifier) -> ReadRequest:
        """A reading of the drawing as it was, never dropped for a newer one."""
        return ReadRequest(classifier, self.sketch, self.generation, self.version, "key",
                           keep=True)


@dataclass(frozen=True)
class LastSave:
    """A sample just saved: Z takes it back while nothing has been drawn since."""

    path: Path
    label: int
    strokes: tuple[Stroke, ...]
    version: int  # the drawing's, right after the save took the sample's strokes off it
