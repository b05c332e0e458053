"""What a drawing or an image reads as: the ways in, each giving a Reading (reading.result).

`read_sketch` finds the digits in the app's strokes (digitnet.reading.grouping), `read_canvas`
in any image, a canvas or a photo of paper (digitnet.reading.paper); from there both go the
same way: each candidate part tested for a speck at most once (reading.parts.Candidate), the model
choosing where the parting is unsure (reading.choice), each part's ink through the one canvas
transform and the batch through the classifier (reading.parts). `read_digit` reads a whole
image as one digit, as digitnet did before numbers: the single-digit benchmarks' path.
Torch-free: the classifier is handed in, already loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from digitnet.reading.choice import choose
from digitnet.reading.grouping import sketch_stretches
from digitnet.reading.paper.digits import candidate_parts
from digitnet.reading.parts import Candidate, Classifier, candidates, read_parts
from digitnet.reading.preprocess import find_ink
from digitnet.reading.result import BLANK, Reading

if TYPE_CHECKING:
    from digitnet.common.sketch import Sketch


def read_sketch(classifier: Classifier, sketch: Sketch) -> Reading:
    """The app's path: the strokes grouped into digits (grouping.sketch_stretches), read as
    `read_canvas` reads an image's: where grouping is unsure, the model chooses."""
    return choose(classifier, sketch_stretches(sketch))


def read_canvas(classifier: Classifier, canvas: np.ndarray,
                invert: bool | None = None) -> Reading:
    """Any image (a canvas, a scan or photo of paper; invert as preprocess.to_mnist takes it):
    its digits found in the ink (paper.digits.candidate_parts) and read, left to right (see
    choice.choose). `predict`'s path; the same reading as `read_sketch` for the canvas the
    strokes drew."""
    if not canvas.size:  # a window shrunk to nothing
        return BLANK
    return choose(classifier, candidates(candidate_parts(canvas, invert=invert)))


def read_digit(classifier: Classifier, canvas: np.ndarray,
               invert: bool | None = None) -> Reading:
    """A whole image's ink as one digit, however many it holds (blank: no digit), as before
    numbers."""
    ink = find_ink(canvas, invert=invert)
    return BLANK if ink is None else read_parts(classifier, [Candidate(ink)])
