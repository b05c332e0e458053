"""The canvas transform: any drawing -> the 28x28 image in MNIST's own convention.

MNIST's digits were cropped to their ink, scaled so that the longer side fits a 20x20 box
(aspect kept, anti-aliased), and placed in a 28x28 frame with their centre of mass at the
centre. A network trained on MNIST reads drawings well only if they are normalised the same
way, so the app, `predict`, the benchmarks and fine-tuning all call `to_mnist`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digitnet import DigitnetError
from digitnet.common.box import Box
from digitnet.common.digits import IMAGE_SIZE

FRAME = IMAGE_SIZE
BOX = 20
CENTRE = 14.0  # MNIST's mean centre of mass (row, col), measured on the training set
INK_THRESHOLD = 0.15  # fraction of the ink's contrast above which a pixel counts as ink
MIN_PEAK = 0.1  # ink fainter than this share of the full scale (255, or 1) is none: a blank image
CHANNELS = {1: "gray", 2: "gray+alpha", 3: "BGR", 4: "BGRA"}
PIXEL_KINDS = "biuf"  # bool, signed and unsigned integers, floats


def to_gray(image: np.ndarray) -> np.ndarray:
    """One channel: uint8 gray or BGR stays uint8 (the fast path for canvases), anything else
    becomes finite float32 in [0, 1].

    Transparent images are composited on the background their ink stands out from, so white
    ink on a transparent background reads as ink, not as white on white.
    """
    image = np.asarray(image)
    channels = check_image(image)
    image = np.ascontiguousarray(image)  # OpenCV wants plain memory
    if image.dtype != np.uint8 or channels in (2, 4):
        image = to_unit_float(image)
    if channels in (2, 4):  # gray first: compositing and BGR -> gray are both linear
        return composite_by_ink(_colour_to_gray(image[..., :-1]), image[..., -1])
    return _colour_to_gray(image) if image.ndim == 3 else image


def _colour_to_gray(image: np.ndarray) -> np.ndarray:
    """HxWx1 or HxWx3 (BGR) -> HxW."""
    if image.shape[2] == 3:
        return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2GRAY)
    return image[..., 0]


def check_image(image: np.ndarray) -> int:
    """The number of channels of an image to_mnist can read; DigitnetError for anything else."""
    if image.dtype.kind not in PIXEL_KINDS:
        raise DigitnetError(f"cannot read an image of {image.dtype} pixels: "
                            "expected bool, integer or float")
    channels = 1 if image.ndim == 2 else image.shape[-1] if image.ndim == 3 else 0
    if channels not in CHANNELS or image.size == 0:
        raise DigitnetError(f"cannot read an image of shape {image.shape}: expected a non-empty "
                            "HxW (gray) or HxWxC image with C = 1 (gray), 2 (gray+alpha), 3 (BGR) "
                            "or 4 (BGRA)")
    return channels


def to_unit_float(image: np.ndarray) -> np.ndarray:
    """Pixels as finite float32 in [0, 1].

    Unsigned integers are scaled by their type's range; signed integers holding 0-255 are 8-bit
    values in a wider type; floats in [0, 1] stay. Anything else is stretched from its lowest
    to its highest finite value. A NaN or infinite pixel is no measurement: it takes the median
    of the others (the background, mostly).
    """
    if image.dtype.kind == "b":
        return image.astype(np.float32)
    if image.dtype.kind == "u":
        return image.astype(np.float32) / np.float32(np.iinfo(image.dtype).max)
    values = image.astype(np.float64)
    finite = np.isfinite(values)
    if not finite.all():
        if not finite.any():
            return np.zeros(image.shape, np.float32)
        values = np.where(finite, values, np.median(values[finite]))
    low, high = float(values.min()), float(values.max())
    if image.dtype.kind == "i" and low >= 0 and high <= 255:
        return (values / 255).astype(np.float32)
    if image.dtype.kind == "f" and low >= 0 and high <= 1:
        return values.astype(np.float32)
    half_range = high / 2 - low / 2  # halves: the full range of float64 values overflows
    if half_range <= 0:
        return np.zeros(image.shape, np.float32)
    return ((values / 2 - low / 2) / half_range).clip(0, 1).astype(np.float32)


def composite_by_ink(gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Flatten unit-float gray with alpha onto black if what is opaque (the ink) is light,
    else onto white."""
    coverage = float(alpha.sum(dtype=np.float64))
    ink_level = float(np.dot(gray.ravel(), alpha.ravel())) / max(coverage, 1e-12)
    background = np.float32(0.0 if coverage > 0 and ink_level > 0.5 else 1.0)
    flat = gray - background  # background + (gray - background) * alpha, in place
    flat *= alpha
    flat += background
    return flat


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

    Takes any image to_gray takes (DigitnetError for others). invert: True for dark ink on a
    light background, False for light on dark, None to detect.
    """
    ink = find_ink(image, invert)
    return None if ink is None else frame_ink(ink)


@dataclass(frozen=True, eq=False)
class Ink:
    """An image's ink cropped to its bounding box: what `frame_ink` scales into the frame, and
    what tells a speck from a digit (digitnet.reading.reject.is_speck)."""

    crop: np.ndarray  # float32 [h, w] in [0, 1], relative to the ink's peak
    mask: np.ndarray  # uint8 [h, w], non-zero where the crop counts as ink (INK_THRESHOLD)
    image_shape: tuple[int, int]  # the whole image's (height, width)
    box: Box  # where the crop lies in the whole image


def find_ink(image: np.ndarray, invert: bool | None = None) -> Ink | None:
    """The image's ink (see to_mnist for what it takes), or None if the image is blank."""
    ink = ink_image(image, invert)
    full = 255.0 if ink.dtype == np.uint8 else 1.0
    peak = float(ink.max())
    if peak < MIN_PEAK * full:
        return None
    _, mask = cv2.threshold(ink, INK_THRESHOLD * peak, 255, cv2.THRESH_BINARY)
    mask = mask.astype(np.uint8, copy=False)
    left, top, width, height = cv2.boundingRect(mask)
    box = (slice(top, top + height), slice(left, left + width))
    crop = ink[box].astype(np.float32) / peak
    return Ink(crop, mask[box], (ink.shape[0], ink.shape[1]), Box(left, top, width, height))


def frame_ink(ink: Ink) -> np.ndarray:
    """The ink with its longer side scaled to BOX pixels, its centre of mass at the frame's
    CENTRE: 28x28 float32 in [0, 1]."""
    height, width = ink.crop.shape
    scale = BOX / max(height, width)
    # cv2 wants (width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(ink.crop, size, interpolation=interpolation)
    digit = resized / max(float(resized.max()), 1e-6)  # thin strokes keep full contrast

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
