"""Registered folds read as a person's drawings are read, for the benchmarks and for tuning.

A pen or mouse trajectory is drawn one fixed way, as a person draws in the app's default
window (strokes.APP_STYLE: a 492-pixel canvas, the app's default brush, the drawing 45-75 %
of the canvas high at a seeded place, in the writer's own shape and slant); a scan is read as
`predict` reads paper; generated drawings are their own canvas. Each page then goes through the
app's whole path for one digit (digitnet.reading.read.read_digit: the canvas transform, the
speck test, the model and the reject threshold in its weights). Weights that learned from any of
a fold's writers or collections are refused: their figure would not measure unseen ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitnet import DigitnetError
from digitnet.common.digits import IMAGE_SIZE
from digitnet.data.folds import Fold, Scans
from digitnet.data.sources import Lookup, load_fold, seen_groups
from digitnet.data.strokes import APP_STYLE
from digitnet.model.classifier import Classifier
from digitnet.reading.read import read_digit
from digitnet.reading.reject import rejected

BATCH = 500


@dataclass(frozen=True, eq=False)
class Readings:
    """What the app's path made of each drawing of a fold."""

    fold: Fold
    images: np.ndarray  # uint8 [N, 28, 28]: what the network saw (black for a blank page)
    probs: np.ndarray  # float32 [N, 10]; all zero for a speck (the model is not asked)
    rejected: np.ndarray  # bool [N]: a speck, or below the weights' threshold

    @property
    def predictions(self) -> np.ndarray:
        return self.probs.argmax(axis=1)

    @property
    def right(self) -> np.ndarray:
        """bool [N]: read as its digit (rejects aside)."""
        return self.predictions == self.fold.labels


def lookup_for(classifier: Classifier, data_dir: str | None) -> Lookup:
    """The data, and MNIST's tuning images as the weights held them out."""
    return Lookup(data_dir, classifier.metadata.trained().validation_seed or 0)


def unseen_fold(classifier: Classifier, source: str, fold: str, lookup: Lookup) -> Fold:
    """A registered fold, refused in one line if the weights learned from any of its groups."""
    loaded = load_fold(source, fold, lookup)
    seen = seen_groups(classifier.metadata.learned_from, loaded)
    if seen:
        shown = ", ".join(seen[:6]) + (", ..." if len(seen) > 6 else "")
        raise DigitnetError(f"{classifier.path or classifier.name} learned from {source}'s {fold} "
                            f"fold ({shown}): it cannot be measured on unseen writers there")
    return loaded


def read_fold(classifier: Classifier, fold: Fold, seed: int) -> Readings:
    """Every drawing of `fold` through the app's path (framed images: the model and threshold
    only, as MNIST's are already the network's input)."""
    if isinstance(fold.drawn, Scans) and fold.drawn.framed:
        return read_framed(classifier, fold, fold.drawn.images)
    invert = fold.dark_ink(APP_STYLE)
    blank = np.zeros((IMAGE_SIZE, IMAGE_SIZE))
    read = [read_digit(classifier, page, invert) for page in fold.pages(APP_STYLE, seed)]
    images = [np.round(255 * (r.single.image if r.single else blank)) for r in read]
    return Readings(fold, np.stack(images).astype(np.uint8),
                    np.array([r.prediction.probs for r in read], np.float32),
                    np.array([r.prediction.rejected for r in read], bool))


def read_framed(classifier: Classifier, fold: Fold, images: np.ndarray) -> Readings:
    probs = np.concatenate([classifier.probabilities(images[i : i + BATCH] / 255.0)
                            for i in range(0, len(images), BATCH)])
    return Readings(fold, images, probs.astype(np.float32), rejected(probs, classifier.threshold))
