"""A model's answer for one drawing: a plain record, so that the reading steps can hold one
without importing the model that made it."""

from __future__ import annotations

from dataclasses import dataclass

from digitnet.common.digits import NUM_CLASSES


@dataclass(frozen=True)
class Prediction:
    """The model's answer. When `rejected`, the drawing is not a digit: `digit` and `confidence`
    are then the model's best guess, or None and 0 for a speck (the model is not asked)."""

    digit: int | None  # None: the canvas was blank, or a speck
    confidence: float
    probs: tuple[float, ...]  # the model's NUM_CLASSES probabilities; all zero: not asked
    rejected: bool = False


BLANK = Prediction(None, 0.0, (0.0,) * NUM_CLASSES)
SPECK = Prediction(None, 0.0, (0.0,) * NUM_CLASSES, rejected=True)
