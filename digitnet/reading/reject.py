"""Not a digit: the two tests a drawing must pass to be read as a digit, and their calibration.

1. A speck is not read at all. Ink whose strokes span at most SPECK_MAX of the canvas's shorter
   side (a dot, a tick, the first touch of a stroke) would be scaled up to fill the 28x28 frame
   and read as a bold 0 or 1. The span is the ink's extent less its stroke width (a dot drawn
   with a thick brush is still a dot), so the test needs no knowledge of the brush.
2. The model's top probability must reach the threshold stored in its weights file. Models
   that can refuse were trained with outlier exposure (Hendrycks et al. 2019): on drawings that
   are not digits their ten outputs were pulled towards uniform (digitnet.train.trainer), so a low
   top probability means "none of these". The threshold is the one that keeps a chosen share of
   validation digits (`calibrate`).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from digitnet.common.prediction import Prediction
from digitnet.common.sketch import BRUSH_RANGE
from digitnet.reading.preprocess import Ink

# A mark whose strokes span at most this share of the canvas's shorter side is a speck.
SPECK_MAX = 0.06
SPECK_TOLERANCE_PX = 2.0  # the ink mask's edge is uncertain by a pixel either side


def is_speck(ink: Ink) -> bool:
    """True if the ink's strokes span at most SPECK_MAX of the image's shorter side."""
    side = min(ink.image_shape)
    limit = SPECK_MAX * side + SPECK_TOLERANCE_PX
    span = max(ink.mask.shape)
    if span > limit + BRUSH_RANGE[1] * side:  # wider than the app's thickest brush: no speck
        return False
    padded = np.pad(ink.mask > 0, 1).astype(np.uint8)  # ink at the box's edge has an edge too
    stroke_width = 2 * float(cv2.distanceTransform(padded, cv2.DIST_L2, 3).max())
    return span - stroke_width <= limit


def rejected(probs: np.ndarray, threshold: float | None) -> np.ndarray:
    """[N, 10] probabilities -> [N] bool: the top probability is below the threshold (None:
    a model without one rejects nothing)."""
    top = np.asarray(probs).max(axis=-1)
    return np.zeros(top.shape, bool) if threshold is None else top < threshold


def to_prediction(probs: np.ndarray, threshold: float | None) -> Prediction:
    """The model's [10] probabilities for one part -> its answer: the most probable digit,
    rejected if below the threshold."""
    digit = int(probs.argmax())
    return Prediction(digit, float(probs[digit]), tuple(float(p) for p in probs),
                      bool(rejected(probs, threshold)))


def calibrate(top_probs: np.ndarray, keep: float) -> float:
    """The highest threshold that keeps at least `keep` of these digits, given their top
    probabilities."""
    if not 0 < keep <= 1 or len(top_probs) == 0:
        raise ValueError(f"need digits and a share to keep in (0, 1], got {len(top_probs)}, {keep}")
    ordered = np.sort(np.asarray(top_probs, np.float64))
    count = math.ceil(keep * len(ordered) - 1e-9)  # digits to keep; the fuzz: 0.997 * 1000
    return float(ordered[len(ordered) - count])
