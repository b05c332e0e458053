"""MNIST digits redrawn the way a person draws them on a canvas.

A digit is thinned to its skeleton and the skeleton becomes strokes in canvas units; the
strokes are then rendered by the app's own renderer at a random canvas size, digit size,
position, slant and brush width, in either polarity. This gives realistic mouse drawings of
*real* handwriting, labelled, in any number.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digitnet.drawing import Stroke, render_strokes

UPSCALE = 4  # thin at 112x112, so the skeleton keeps the digit's curves


def thin(binary: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of boolean images [..., H, W] to one-pixel-wide skeletons (batches at once)."""
    pad = [(0, 0)] * (binary.ndim - 2) + [(1, 1), (1, 1)]
    img = np.pad(binary.astype(bool), pad)
    while True:
        changed = False
        for step in (0, 1):
            p = img
            # neighbours p2..p9, clockwise from north
            n = [p[..., :-2, 1:-1], p[..., :-2, 2:], p[..., 1:-1, 2:], p[..., 2:, 2:],
                 p[..., 2:, 1:-1], p[..., 2:, :-2], p[..., 1:-1, :-2], p[..., :-2, :-2]]
            count = sum(x.astype(np.uint8) for x in n)
            transitions = sum((~n[i] & n[(i + 1) % 8]).astype(np.uint8) for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            if step == 0:
                keep = (p2 & p4 & p6) | (p4 & p6 & p8)
            else:
                keep = (p2 & p4 & p8) | (p2 & p6 & p8)
            remove = p[..., 1:-1, 1:-1] & (count >= 2) & (count <= 6) & (transitions == 1) & ~keep
            if remove.any():
                img[..., 1:-1, 1:-1] &= ~remove
                changed = True
        if not changed:
            return img[..., 1:-1, 1:-1]


def skeleton_strokes(image: np.ndarray) -> list[Stroke]:
    """A 28x28 MNIST digit -> two-point strokes joining 8-neighbouring skeleton pixels, in units of the image."""
    big = cv2.resize(image.astype(np.float32), None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_CUBIC)
    skeleton = thin(big > 0.5 * big.max())
    ys, xs = np.nonzero(skeleton)
    on = set(zip(ys.tolist(), xs.tolist()))
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


@dataclass(frozen=True)
class DrawStyle:
    """Ranges a person's drawing falls in; each drawing draws its values from them."""

    canvas_px: tuple[int, int] = (200, 800)
    digit_height: tuple[float, float] = (0.3, 0.9)  # fraction of the canvas height
    brush: tuple[float, float] = (0.04, 0.2)  # brush diameter as a fraction of the digit height
    slant: float = 0.3  # horizontal shear
    rotate_deg: float = 10.0
    dark_on_light_prob: float = 0.5


def draw_like_a_person(image: np.ndarray, rng: np.random.Generator, style: DrawStyle = DrawStyle()) -> np.ndarray:
    """Redraw a 28x28 digit (uint8 or [0, 1]) as a canvas drawing (uint8, gray)."""
    strokes = skeleton_strokes(image)
    points = np.concatenate(strokes)
    # slant and rotate about the digit's centre
    angle = np.deg2rad(rng.uniform(-style.rotate_deg, style.rotate_deg))
    shear = rng.uniform(-style.slant, style.slant)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = rot @ np.array([[1.0, shear], [0.0, 1.0]])
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
    scale = min(digit_px / max(high[1] - low[1], 1e-6), (width - 2 * margin) / max(high[0] - low[0], 1e-6))
    extent = (high - low) * scale
    room = np.maximum(np.array([width, height]) - extent - 2 * margin, 0)
    offset = margin + rng.uniform(0, 1, 2) * room
    to_canvas = [((s - low) * scale + offset) / np.array([width, height]) for s in strokes]
    canvas = render_strokes(to_canvas, (width, height), brush=brush_px / min(width, height))
    if rng.random() < style.dark_on_light_prob:
        canvas = 255 - canvas
    return canvas
