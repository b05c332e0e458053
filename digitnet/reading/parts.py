"""Candidate digits through the model: each part's ink framed by the one canvas transform,
specks set aside, all the rest in one batch through the classifier, and the reject rule
turning its probabilities into answers (digitnet.reading.reject).

A part is tested for a speck once, the first time anything asks (`Candidate.speck`): stroke
grouping leaves specks beside digits out of a number (digitnet.reading.grouping), and a part
still a speck here is not asked. A part no way of cutting reads is never tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np

from digitnet.common.prediction import SPECK
from digitnet.reading.preprocess import Ink, frame_ink, to_mnist
from digitnet.reading.reject import is_speck, to_prediction
from digitnet.reading.result import DigitReading, Reading
from digitnet.reading.stretch import Stretch


class Classifier(Protocol):
    """What reading asks of a model (digitnet.model.classifier.Classifier is one)."""

    @property
    def reject(self) -> bool:
        """Whether specks and answers below the threshold are not digits (False: the forced
        choice)."""
        ...

    @property
    def threshold(self) -> float | None:
        """The least top probability of a digit; None: every answer is one."""
        ...

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """[N, 28, 28] float images in [0, 1] -> [N, 10] probabilities."""
        ...


@dataclass(frozen=True, eq=False)
class Candidate:
    """A candidate digit: its ink, and whether it is too small to be one (reject.is_speck)."""

    ink: Ink

    @cached_property
    def speck(self) -> bool:
        return is_speck(self.ink)


def candidates(stretches: Sequence[Stretch[Ink]]) -> list[Stretch[Candidate]]:
    """Stretches of ink (digitnet.reading.paper) as stretches of candidates, one per ink."""
    made: dict[int, Candidate] = {}

    def candidate(ink: Ink) -> Candidate:
        if id(ink) not in made:
            made[id(ink)] = Candidate(ink)
        return made[id(ink)]

    return [Stretch({edge: candidate(ink) for edge, ink in stretch.parts.items()},
                    stretch.boundaries, stretch.height) for stretch in stretches]


def read_parts(classifier: Classifier, parts: Sequence[Candidate]) -> Reading:
    """Parts already found, left to right -> their reading: specks are not asked (unless the
    classifier rejects nothing), the rest go through the model in one batch (a number costs
    about what one digit does)."""
    images = [frame_ink(part.ink) for part in parts]
    predictions = [SPECK] * len(parts)
    asked = [i for i, part in enumerate(parts) if not (classifier.reject and part.speck)]
    if asked:
        probs = classifier.probabilities(np.stack([images[i] for i in asked]))
        for i, row in zip(asked, probs, strict=True):
            predictions[i] = to_prediction(row, classifier.threshold)
    return Reading(tuple(DigitReading(image, answer, part.ink.box)
                         for part, image, answer in zip(parts, images, predictions, strict=True)))


def network_input(canvas: np.ndarray) -> np.ndarray | None:
    """A canvas (white ink on black) through the canvas transform; None if blank or empty."""
    return to_mnist(canvas, invert=False) if canvas.size else None  # a window shrunk to nothing
