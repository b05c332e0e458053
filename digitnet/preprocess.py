"""The canvas transform: any drawing -> the 28x28 image in MNIST's own convention.

MNIST's digits were cropped to their ink, scaled so that the longer side fits a 20x20 box
(aspect kept, anti-aliased), and placed in a 28x28 frame with their centre of mass at the
centre. A network trained on MNIST reads drawings well only if they are normalised the same
way, so the app, `predict`, the benchmarks and fine-tuning all call `to_mnist`.
"""

from __future__ import annotations

import numpy as np
import cv2

TRANSFORM_VERSION = 1
FRAME = 28
BOX = 20
CENTRE = 14.0  # MNIST's mean centre of mass (row, col), measured on the training set
INK_THRESHOLD = 0.15  # fraction of the ink's contrast above which a pixel counts as ink


def to_gray(image: np.ndarray) -> np.ndarray:
    """One channel: uint8 stays uint8 (the fast path for canvases), anything else becomes float32 in [0, 1].

    BGR is converted to gray; BGRA is composited on white first.
    """
    image = np.asarray(image)
    if image.dtype != np.uint8 or (image.ndim == 3 and image.shape[2] == 4):
        if image.dtype.kind in "ui":
            image = image.astype(np.float32) / np.iinfo(image.dtype).max
        else:
            image = np.clip(image.astype(np.float32), 0.0, 1.0)
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = image[..., 3:]
        image = image[..., :3] * alpha + (1.0 - alpha)
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    elif image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"expected a non-empty gray or BGR image, got shape {image.shape}")
    return image


def ink_image(image: np.ndarray, invert: bool | None = None) -> np.ndarray:
    """Ink above a zero background, in the input's own scale (0-255 for uint8, else 0-1).

    The background is what the canvas's border mostly shows; a light border means dark ink
    (invert=None detects it, True/False force it).
    """
    gray = to_gray(image)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    full = 255.0 if gray.dtype == np.uint8 else 1.0
    if invert is None:
        invert = background > full / 2
    if gray.dtype == np.uint8:
        level = np.uint8(round(background))  # saturating subtraction, in uint8
        return level - np.minimum(gray, level) if invert else np.maximum(gray, level) - level
    return np.clip(background - gray if invert else gray - background, 0.0, None)


def to_mnist(image: np.ndarray, invert: bool | None = None) -> np.ndarray | None:
    """28x28 float32 in [0, 1], light digit on black, or None for a blank image.

    invert: True for dark ink on a light background, False for light on dark, None to detect.
    """
    ink = ink_image(image, invert)
    full = 255.0 if ink.dtype == np.uint8 else 1.0
    peak = float(ink.max())
    if peak < 0.1 * full:
        return None
    _, mask = cv2.threshold(ink, INK_THRESHOLD * peak, 255, cv2.THRESH_BINARY)
    left, top, width, height = cv2.boundingRect(mask.astype(np.uint8, copy=False))
    crop = ink[top : top + height, left : left + width].astype(np.float32) / peak

    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # cv2 wants (width, height)
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    digit = cv2.resize(crop, size, interpolation=interpolation)
    digit /= max(float(digit.max()), 1e-6)  # thin strokes keep full contrast after shrinking

    frame = np.zeros((FRAME, FRAME), np.float32)
    mass = digit.sum()
    ys, xs = np.indices(digit.shape)
    cy, cx = (ys * digit).sum() / mass, (xs * digit).sum() / mass
    # integer placement, as MNIST did: keeps strokes sharp
    top, left = int(round(CENTRE - cy)), int(round(CENTRE - cx))
    _paste(frame, digit, top, left)
    return frame


def _paste(frame: np.ndarray, patch: np.ndarray, top: int, left: int) -> None:
    """frame[top:, left:] = patch, clipped to the frame's edges."""
    fh, fw = frame.shape
    ph, pw = patch.shape
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + ph, fh), min(left + pw, fw)
    if y1 > y0 and x1 > x0:
        frame[y0:y1, x0:x1] = patch[y0 - top : y1 - top, x0 - left : x1 - left]
