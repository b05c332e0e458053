"""The drawn-digit benchmark's generator: MNIST digits redrawn the way a person draws them.

A digit is thinned to its skeleton and the skeleton becomes strokes in canvas units; the
strokes are then rendered by the app's own renderer at a random canvas size, digit size,
position, slant and brush width, in either polarity. This gives realistic mouse drawings of
*real* handwriting, labelled, in any number.

Only the benchmarks (bench/) draw with it. Training has its own generator of drawings and
continental shapes (digitnet.train.augment), with other shapes and ranges, so that the benchmark
measures something training did not generate; the two share only thinning (digitnet.data.skeleton).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digitnet.common.sketch import Stroke, render_strokes
from digitnet.data.skeleton import thin

UPSCALE = 4  # thin at 4x (112x112 for MNIST), so the skeleton keeps the digit's curves
CONTINENTAL_DIGITS = (1, 7)


def skeleton_strokes(image: np.ndarray) -> list[Stroke]:
    """An MNIST digit -> two-point strokes joining 8-neighbouring skeleton pixels, in units of
    the image."""
    big = cv2.resize(image.astype(np.float32), None, fx=UPSCALE, fy=UPSCALE,
                     interpolation=cv2.INTER_CUBIC)
    skeleton = thin(big > 0.5 * big.max())
    ys, xs = np.nonzero(skeleton)
    on = set(zip(ys.tolist(), xs.tolist(), strict=True))
    side = skeleton.shape[0]
    strokes = []
    for y, x in on:
        linked = False
        for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):
            if (y + dy, x + dx) in on:
                strokes.append(np.array([[x, y], [x + dx, y + dy]], np.float32))
                linked = True
        if not linked:
            strokes.append(np.array([[x, y]], np.float32))
    return [(s + 0.5) / side for s in strokes]


def continental_segment(points: np.ndarray, label: int,
                        rng: np.random.Generator | None = None) -> np.ndarray | None:
    """The stroke much of the world adds and MNIST's American writers rarely did: a flag down-left
    from the top of a 1, or a bar through the 7's stem. points: the digit's [N, 2] (x, y) points,
    y down; returns the stroke's two endpoints in the same units, or None for other digits.
    With `rng`, the flag's angle and length and the bar's height and width vary as people's do."""
    if label not in CONTINENTAL_DIGITS or len(points) == 0:
        return None

    def pick(low: float, high: float) -> float:
        return rng.uniform(low, high) if rng else (low + high) / 2

    top, bottom = points[:, 1].min(), points[:, 1].max()
    height = bottom - top
    if label == 1:
        tip, foot = points[points[:, 1].argmin()], points[points[:, 1].argmax()]
        stem = (foot - tip) / max(float(np.linalg.norm(foot - tip)), 1e-6)
        angle = np.deg2rad(pick(35.0, 65.0))  # between the stem and the flag, towards the left
        flag = _rotation(angle) @ stem
        return np.array([tip + pick(0.18, 0.38) * height * flag, tip], np.float32)
    y = top + pick(0.45, 0.65) * height
    near = points[np.abs(points[:, 1] - y) < 0.06 * height]
    x = near[:, 0].mean() if len(near) else points[:, 0].mean()
    half_width = pick(0.14, 0.26) * height
    return np.array([[x - half_width, y], [x + half_width, y]], np.float32)


@dataclass(frozen=True)
class DrawStyle:
    """Ranges a person's drawing falls in; each drawing draws its values from them."""

    canvas_px: tuple[int, int] = (200, 800)
    digit_height: tuple[float, float] = (0.3, 0.9)  # fraction of the canvas height
    brush: tuple[float, float] = (0.04, 0.2)  # brush diameter as a fraction of the digit height
    slant: float = 0.3  # horizontal shear
    rotate_deg: float = 10.0
    dark_on_light_prob: float = 0.5
    continental_prob: float = 0.0  # share of 1s and 7s given a flag or a bar (continental_segment)


def _rotation(angle: float) -> np.ndarray:
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


def draw_like_a_person(image: np.ndarray, rng: np.random.Generator,
                       style: DrawStyle = DrawStyle(), label: int | None = None) -> np.ndarray:
    """Redraw an MNIST digit (uint8 or [0, 1]) as a canvas drawing (uint8, gray); `label` is
    needed only for style.continental_prob."""
    strokes = skeleton_strokes(image)
    chance = style.continental_prob if label in CONTINENTAL_DIGITS else 0.0
    if label is not None and chance > 0 and rng.random() < chance:
        mark = continental_segment(np.concatenate(strokes), label, rng)
        strokes += [] if mark is None else [mark]
    points = np.concatenate(strokes)
    # slant and rotate about the digit's centre
    angle = np.deg2rad(rng.uniform(-style.rotate_deg, style.rotate_deg))
    shear = rng.uniform(-style.slant, style.slant)
    matrix = _rotation(angle) @ np.array([[1.0, shear], [0.0, 1.0]])
    centre = (points.min(0) + points.max(0)) / 2
    strokes = [(s - centre) @ matrix.T for s in strokes]
    points = np.concatenate(strokes)
    low, high = points.min(0), points.max(0)

    width = int(rng.integers(*style.canvas_px, endpoint=True))
    height = int(np.clip(width * rng.uniform(0.75, 1.33), *style.canvas_px))
    digit_px = rng.uniform(*style.digit_height) * height
    brush_px = rng.uniform(*style.brush) * digit_px
    margin = brush_px / 2 + 1
    # the digit's height is as drawn, unless a wide digit would not fit the canvas's width
    size = np.maximum(high - low, 1e-6)
    scale = min(digit_px / size[1], (width - 2 * margin) / size[0])
    extent = (high - low) * scale
    room = np.maximum(np.array([width, height]) - extent - 2 * margin, 0)
    offset = margin + rng.uniform(0, 1, 2) * room
    to_canvas = [((s - low) * scale + offset) / np.array([width, height]) for s in strokes]
    canvas = render_strokes(to_canvas, (width, height), brush=brush_px / min(width, height))
    if rng.random() < style.dark_on_light_prob:
        canvas = 255 - canvas
    return canvas
