"""What the app reads in a drawing: the network's input and the model's answer, per digit drawn.

A `Reading` holds one `DigitReading` per digit found in the drawing, left to right: none for a
blank canvas, one today. The shape is ready for more (a number drawn as several digits) and
for a digit the model rejects: both change what a part says, not how the app handles a reading.
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
    image: np.ndarray  # [IMAGE_SIZE, IMAGE_SIZE] float in [0, 1]: what the network sees
    prediction: Prediction


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
    """The canvas through the canvas transform and the model."""
    image = network_input(canvas)
    if image is None:
        return BLANK
    (prediction,) = recognizer.classify_images(image[None])
    return Reading((DigitReading(image, prediction),))
