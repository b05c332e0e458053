"""What the app reads in a drawing: the network's input and the model's answer, per digit drawn.

A `Reading` holds one `DigitReading` per digit found in the drawing, left to right: none for a
blank canvas, one today. The shape is ready for more (a number drawn as several digits): each
part says for itself whether it is a digit, not a digit (rejected by the model's threshold), or
a speck (too small to be a digit: the model was not asked).
Torch-free: the recognizer is handed in, already loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from digitnet.preprocess import to_mnist

if TYPE_CHECKING:
    from digitnet.recognizer import Prediction, Recognizer


@dataclass(frozen=True)
class DigitReading:
    image: np.ndarray  # [IMAGE_SIZE, IMAGE_SIZE] float in [0, 1]: what the transform made
    prediction: Prediction

    @property
    def rejected(self) -> bool:
        """Not a digit: a speck, or the model's top probability below its threshold."""
        return self.prediction.rejected

    @property
    def speck(self) -> bool:
        """Too small to be a digit: the model was not asked (its probabilities are all zero)."""
        return self.prediction.rejected and self.prediction.digit is None

    @property
    def digit(self) -> int | None:
        """The digit read; None when it is not a digit (`prediction.digit` is the best guess)."""
        return None if self.rejected else self.prediction.digit


@dataclass(frozen=True)
class Reading:
    digits: tuple[DigitReading, ...] = ()  # left to right; empty: nothing drawn

    @property
    def single(self) -> DigitReading | None:
        """The one digit read, or None when there is not exactly one."""
        return self.digits[0] if len(self.digits) == 1 else None


BLANK = Reading()


def network_input(canvas: np.ndarray) -> np.ndarray | None:
    """A canvas (white ink on black) through the canvas transform; None if blank or empty."""
    return to_mnist(canvas, invert=False) if canvas.size else None  # a window shrunk to nothing


def read_canvas(recognizer: Recognizer, canvas: np.ndarray) -> Reading:
    """The canvas (white ink on black) as `predict` reads an image: the canvas transform, the
    speck rule relative to this canvas, the model and its reject threshold."""
    if not canvas.size:  # a window shrunk to nothing
        return BLANK
    image, prediction = recognizer.read(canvas, invert=False)
    return BLANK if image is None else Reading((DigitReading(image, prediction),))
