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


def continental_segment(points: np.ndarray, label: int, rng: np.random.Generator | None = None) -> np.ndarray | None:
    """The stroke much of the world adds and MNIST's American writers rarely did: a flag down-left
    from the top of a 1, or a bar through the 7's stem. points: the digit's [N, 2] (x, y) points,
    y down; returns the stroke's two endpoints in the same units, or None for other digits.
    With `rng`, the flag's angle and length and the bar's height and width vary as people's do."""
    if label not in (1, 7) or len(points) == 0:
        return None
    pick = (lambda low, high: rng.uniform(low, high)) if rng else (lambda low, high: (low + high) / 2)
    top, bottom = points[:, 1].min(), points[:, 1].max()
    height = bottom - top
    if label == 1:
        tip, foot = points[points[:, 1].argmin()], points[points[:, 1].argmax()]
        stem = (foot - tip) / max(float(np.linalg.norm(foot - tip)), 1e-6)
        angle = np.deg2rad(pick(35.0, 65.0))  # between the stem and the flag, turned towards the left
        flag = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) @ stem
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


def draw_like_a_person(image: np.ndarray, rng: np.random.Generator, style: DrawStyle = DrawStyle(),
                       label: int | None = None) -> np.ndarray:
    """Redraw a 28x28 digit (uint8 or [0, 1]) as a canvas drawing (uint8, gray); `label` is needed
    only for style.continental_prob."""
    strokes = skeleton_strokes(image)
    if style.continental_prob and label in (1, 7) and rng.random() < style.continental_prob:
        strokes = strokes + [continental_segment(np.concatenate(strokes), label, rng)]
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
