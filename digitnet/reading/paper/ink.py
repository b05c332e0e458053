"""The ink on paper: the paper's own tone, estimated locally or flat, and what stands out from
it by more than the camera's noise (step 1 of digitnet.reading.paper)."""

from __future__ import annotations

import cv2
import numpy as np

from digitnet.reading.paper.params import PAPER
from digitnet.reading.preprocess import INK_THRESHOLD, MIN_PEAK


def dark_ink(unit: np.ndarray) -> bool:
    """True if the ink is darker than the paper: the darkest pixels lie further from the
    typical one (the paper) than the lightest do. A 3x3 median first: noise is no ink (unless
    the median leaves nothing: a mark smaller than its window is judged as it is)."""
    levels = np.round(unit * 255).astype(np.uint8)
    smooth = cv2.medianBlur(levels, 3)
    if smooth.min() == smooth.max():
        smooth = levels
    typical = float(np.median(smooth[::4, ::4]))
    return typical - float(smooth.min()) > float(smooth.max()) - typical


def flat_tone(bright: np.ndarray) -> float | None:
    """The paper's one tone if PAPER.flat of it has exactly that tone (a canvas, a clean scan,
    a tight crop of one): such a page has no table and no shadow. None for a photo."""
    levels = np.bincount(np.round(bright[::2, ::2] * 255).astype(np.uint8).ravel(), minlength=256)
    return int(levels.argmax()) / 255 if levels.max() > PAPER.flat * levels.sum() else None


def ink_residual(bright: np.ndarray, flat: float | None) -> np.ndarray:
    """Ink-is-bright unit image less the paper's tone (float32, may be negative): `flat`
    (flat_tone) where there is one, else estimated locally.

    The tone is an opening (erode, dilate) of a downscaled copy, so it passes under strokes
    narrower than the kernel and follows shadows, gradients and a table's flat tone; one more
    dilation keeps a tone edge (a table's edge) on the side of the brighter tone.
    """
    if flat is not None:
        return np.asarray(bright - np.float32(flat), np.float32)
    height, width = bright.shape
    scale = min(1.0, PAPER.background_side / min(height, width))
    small = cv2.resize(bright, (max(1, round(width * scale)), max(1, round(height * scale))),
                       interpolation=cv2.INTER_AREA)
    side = max(3, int(PAPER.background_kernel * min(small.shape)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    tone = cv2.dilate(cv2.morphologyEx(small, cv2.MORPH_OPEN, kernel), np.ones((3, 3), np.uint8))
    tone = cv2.resize(tone, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.asarray(bright - tone, np.float32)


def ink_mask(residual: np.ndarray) -> np.ndarray | None:
    """uint8 mask (255 = ink) of what stands out from the paper by more than its noise and by
    INK_THRESHOLD of the ink's contrast; None for a blank image (no ink reaching MIN_PEAK).
    Smooths `residual` in place when the image is noisy."""
    sample = residual[::4, ::4]
    typical = float(np.median(sample))
    noise = 1.4826 * float(np.median(np.abs(sample - typical)))
    if noise > PAPER.noisy:
        cv2.GaussianBlur(residual, (5, 5), 1.0, dst=residual)
        sample = residual[::4, ::4]
        noise = 1.4826 * float(np.median(np.abs(sample - typical)))
    floor = typical + PAPER.noise_sigmas * noise
    strong = residual[residual > floor]
    if strong.size < PAPER.min_area:
        return None
    peak = float(np.percentile(strong, 99)) - typical
    if peak < MIN_PEAK:
        return None
    threshold = max(floor, typical + INK_THRESHOLD * peak)
    return np.asarray(residual > threshold, np.uint8) * np.uint8(255)


def components(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels, stats) of the mask's 8-connected components, as OpenCV gives them; 16-bit
    labels where they suffice (OpenCV is several times faster with them)."""
    try:
        _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, None, None, None, 8,
                                                               cv2.CV_16U)
    except cv2.error:  # more components than 16 bits can number
        _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return labels, stats
