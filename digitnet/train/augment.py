"""Augmentation: how people draw on a canvas, simulated on MNIST digits.

Per batch, on tensors: digits redrawn from their skeletons with a round brush, thinner and
thicker strokes, and one grid_sample for rotation, scale, slant, shift and elastic distortion,
so augmentation costs a small fraction of an epoch on two CPU cores. Once per run, on the
skeletons: continental shapes (slashed 0s, flags, feet, bars, hooks, open 4s) for a share of
the digits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from digitnet.data.skeleton import thin


@dataclass(frozen=True)
class Augment:
    rotate_deg: float = 12.0
    scale: tuple[float, float] = (0.85, 1.1)
    shear: float = 0.3  # horizontal shear factor: slanted handwriting
    shift_px: float = 2.0
    elastic_px: float = 1.5  # amplitude of a smooth random displacement field
    stroke_prob: float = 0.5  # how often the stroke width is changed
    restroke_prob: float = 0.5  # how often a digit is redrawn from its skeleton with a round brush
    brush_px: tuple[float, float] = (1.0, 3.5)  # that brush's radius range, in pixels at 2x (56x56)

    def __call__(self, images: torch.Tensor, generator: torch.Generator,
                 skeletons: torch.Tensor | None = None) -> torch.Tensor:
        """images: [N, 1, 28, 28] in [0, 1] -> augmented copy, same shape.

        skeletons: the digits' skeletons at 2x, [N, 1, 56, 56] (see `skeletons_2x`); without
        them no digit is redrawn.
        """
        if skeletons is not None and self.restroke_prob > 0:
            images = restroke(images, skeletons, self, generator)
        images = change_stroke_width(images, self.stroke_prob, generator)
        return warp(images, self, generator)


def skeletons_2x(images: np.ndarray, chunk: int = 5000) -> torch.Tensor:
    """uint8 digits [N, 28, 28] -> their one-pixel skeletons at 56x56, uint8 [N, 1, 56, 56].

    Thinning runs once per training run (about a minute for MNIST on two cores).
    """
    out = []
    for start in range(0, len(images), chunk):
        batch = torch.from_numpy(images[start : start + chunk]).float().div_(255).unsqueeze(1)
        up = F.interpolate(batch, scale_factor=2, mode="bilinear", align_corners=False)
        out.append(torch.from_numpy(thin(up[:, 0].numpy() > 0.5)).unsqueeze(1).to(torch.uint8))
    return torch.cat(out)


def _disk(radius: float) -> torch.Tensor:
    size = 2 * int(np.ceil(radius)) + 1
    ys, xs = np.mgrid[:size, :size] - size // 2
    return torch.from_numpy((xs**2 + ys**2 <= radius**2).astype(np.float32))[None, None]


def restroke(images: torch.Tensor, skeletons: torch.Tensor, aug: Augment,
             generator: torch.Generator) -> torch.Tensor:
    """Redraw a random subset of digits as a mouse draws them: the skeleton, one round brush,
    uniform width, anti-aliased by drawing at 2x and averaging down."""
    n = images.shape[0]
    pick = torch.rand(n, generator=generator) < aug.restroke_prob
    radii = _uniform(n, *aug.brush_px, generator, images.device)
    out = images.clone()
    # a handful of brush sizes, each one convolution over the digits that drew it
    levels = torch.linspace(*aug.brush_px, 6)
    level = (radii[:, None] - levels[None]).abs().argmin(1)
    for i, radius in enumerate(levels.tolist()):
        chosen = torch.nonzero(pick & (level == i)).flatten()
        if len(chosen) == 0:
            continue
        disk = _disk(radius)
        drawn = F.conv2d(skeletons[chosen].float(), disk, padding=disk.shape[-1] // 2)
        drawn = F.avg_pool2d(drawn.clamp_(max=1.0), 2)
        peak = drawn.flatten(1).amax(1).clamp_min(1e-6).view(-1, 1, 1, 1)
        # an empty skeleton keeps its digit
        out[chosen] = torch.where(peak > 0.01, drawn / peak, images[chosen])
    return out


def _uniform(n: int, low: float, high: float, generator: torch.Generator,
             device: torch.device) -> torch.Tensor:
    return torch.rand(n, generator=generator, device=device) * (high - low) + low


def warp(images: torch.Tensor, aug: Augment, generator: torch.Generator) -> torch.Tensor:
    """Random rotation, scale, shear, shift and elastic distortion in one resampling."""
    n, _, h, w = images.shape
    dev = images.device
    angle = _uniform(n, -aug.rotate_deg, aug.rotate_deg, generator, dev) * (math.pi / 180)
    scale = _uniform(n, *aug.scale, generator, dev)
    shear = _uniform(n, -aug.shear, aug.shear, generator, dev)
    shift = _uniform(2 * n, -aug.shift_px, aug.shift_px, generator, dev).view(n, 2) * (2 / w)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # output coords -> input coords: inverse of (rotate . shear . scale)
    theta = torch.zeros(n, 2, 3, device=dev)
    theta[:, 0, 0] = cos / scale
    theta[:, 0, 1] = (-sin + shear * cos) / scale
    theta[:, 1, 0] = sin / scale
    theta[:, 1, 1] = (cos + shear * sin) / scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    if aug.elastic_px > 0:
        coarse = torch.randn(n, 2, 4, 4, generator=generator, device=dev)
        field = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=False)
        grid = grid + field.permute(0, 2, 3, 1) * (aug.elastic_px * 2 / w) / 1.5
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def change_stroke_width(images: torch.Tensor, prob: float,
                        generator: torch.Generator) -> torch.Tensor:
    """Thicken or thin a random subset of strokes by a random fraction of a pixel or two.

    Grey-level dilation (max-pool) and erosion (min-pool), blended with the original by a
    random weight, give continuous widths rather than whole-pixel steps.
    """
    n = images.shape[0]
    dev = images.device
    pick = torch.rand(n, generator=generator, device=dev) < prob
    if not pick.any():
        return images
    thicker = F.max_pool2d(images, 3, stride=1, padding=1)
    thinner = -F.max_pool2d(-images, 3, stride=1, padding=1)
    strength = torch.rand(n, 1, 1, 1, generator=generator, device=dev)
    direction = torch.rand(n, 1, 1, 1, generator=generator, device=dev) < 0.6  # thicker more often
    target = torch.where(direction, thicker, thinner)
    changed = images + strength * (target - images)
    # erosion can wipe out a thin digit entirely; keep the original where it did
    wiped = changed.flatten(1).amax(1) < 0.3
    changed = torch.where(wiped.view(n, 1, 1, 1), images, changed)
    out = torch.where(pick.view(n, 1, 1, 1), changed, images)
    return out / out.flatten(1).amax(1).clamp_min(1e-6).view(n, 1, 1, 1)


# ---- continental shapes ------------------------------------------------------------------
# Training's own generator of the ways much of the world writes 0, 1, 4, 7 and 9, which MNIST's
# American writers rarely used. It draws on the skeletons at 2x, before the brush. The drawn-
# digit benchmark has a generator of its own (bench/drawn.py), with other shapes and ranges: a
# benchmark that drew with this one would measure nothing training had not generated.

Shape = Callable[[np.ndarray, np.random.Generator], None]
MIN_SKELETON_PX = 8  # fewer: a broken digit with no stem or bar to draw on


def add_continental_marks(skeletons: torch.Tensor, labels: torch.Tensor, prob: float,
                          seed: int) -> torch.Tensor:
    """A copy of the skeletons in which a random `prob` share of the 0s, 1s, 4s, 7s and 9s is
    drawn the continental way, in one of the CONTINENTAL_STYLES of its digit, picked at
    random."""
    rng = np.random.default_rng(seed)
    out = skeletons.clone()
    for i in np.flatnonzero(np.isin(labels.numpy(), list(CONTINENTAL_STYLES))):
        styles = CONTINENTAL_STYLES[int(labels[i])]
        if rng.random() >= prob or out[i, 0].sum() < MIN_SKELETON_PX:
            continue
        for shape in styles[rng.integers(len(styles))]:
            shape(out[i, 0].numpy(), rng)  # a view: drawing on it draws on `out`
    return out


def _ink(skeleton: np.ndarray) -> tuple[np.ndarray, float, float]:
    """A skeleton's pixels as (x, y) points, y down; the top row of its ink and its height."""
    ys, xs = np.nonzero(skeleton)
    return np.stack([xs, ys], 1).astype(np.float64), float(ys.min()), float(np.ptp(ys) + 1)


def _curve(start: np.ndarray, end: np.ndarray, bow: float = 0.0) -> np.ndarray:
    """A quadratic Bezier from start to end, bulging by `bow` times its length to the right of
    the direction of travel (y down; negative: to the left), as 16 points."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    normal = np.array([start[1] - end[1], end[0] - start[0]])  # the chord turned 90 degrees
    control = (start + end) / 2 + bow * normal
    t = np.linspace(0, 1, 16)[:, None]
    return (1 - t) ** 2 * start + 2 * (1 - t) * t * control + t**2 * end


def _draw(skeleton: np.ndarray, *lines: np.ndarray) -> None:
    """One-pixel polylines of (x, y) points onto a skeleton, in place."""
    cv2.polylines(skeleton, [np.round(line).astype(np.int32) for line in lines], False, 1, 1)


def draw_flag(skeleton: np.ndarray, rng: np.random.Generator) -> None:
    """A 1's flag: from its top down to the left, 25-60 degrees off the stem (more would make a
    7), 0.12-0.45 of its height long, straight or bowed."""
    ink, _, height = _ink(skeleton)
    tip, foot = ink[ink[:, 1].argmin()], ink[ink[:, 1].argmax()]
    down = np.arctan2(foot[0] - tip[0], foot[1] - tip[1])  # the stem's angle, 0 when upright
    angle = down - np.deg2rad(rng.uniform(25, 60))  # turned towards the left
    end = tip + rng.uniform(0.12, 0.45) * height * np.array([np.sin(angle), np.cos(angle)])
    _draw(skeleton, _curve(tip, end, rng.uniform(-0.15, 0.15)))


def _crossing(centre: np.ndarray, height: float, rng: np.random.Generator) -> np.ndarray:
    """A short, slightly tilted line through `centre`, each arm 0.1-0.3 of the digit's height."""
    left, right = rng.uniform(0.1, 0.3, 2) * height
    slope = np.tan(np.deg2rad(rng.uniform(-8, 8)))
    return np.array([centre + [-left, -left * slope], centre + [right, right * slope]])


def draw_foot(skeleton: np.ndarray, rng: np.random.Generator) -> None:
    """A 1's foot: a base line across the bottom of its stem."""
    ink, _, height = _ink(skeleton)
    _draw(skeleton, _crossing(ink[ink[:, 1].argmax()], height, rng))


def draw_bar(skeleton: np.ndarray, rng: np.random.Generator) -> None:
    """A bar through a 7's stem, 0.35-0.7 of the way down, not always centred on it."""
    ink, top, height = _ink(skeleton)
    y = top + rng.uniform(0.35, 0.7) * height
    row = ink[np.abs(ink[:, 1] - y) <= 1.5, 0]
    x = (row.mean() if len(row) else ink[:, 0].mean()) + rng.uniform(-0.05, 0.05) * height
    _draw(skeleton, _crossing(np.array([x, y]), height, rng))


def draw_hooked_top(skeleton: np.ndarray, rng: np.random.Generator) -> None:
    """A 7's top begun with a hook: a curved stroke down from the left end of its top bar."""
    ink, top, height = _ink(skeleton)
    bar = ink[ink[:, 1] <= top + 0.2 * height]
    start = bar[bar[:, 0].argmin()]
    end = start + np.array([rng.uniform(-0.08, 0.04), rng.uniform(0.1, 0.25)]) * height
    _draw(skeleton, _curve(start, end, rng.uniform(0.1, 0.35)))


def draw_open_four(skeleton: np.ndarray, rng: np.random.Generator) -> None:
    """The 4 redrawn open at the top, in its box: an arm (straight or bowed) down to the
    crossbar, the crossbar, and a separate stem from near the top to the bottom, leaning a
    little. Narrow or wide, the arm's top near the stem or far from it."""
    ink, top, height = _ink(skeleton)
    width = float(np.clip(np.ptp(ink[:, 0]), 0.4 * height, 1.1 * height))
    left, bottom = ink[:, 0].mean() - width / 2, top + height - 1
    stem_x, lean = left + rng.uniform(0.55, 0.85) * width, rng.uniform(-0.1, 0.1) * height
    stem_top = np.array([stem_x + lean, top + rng.uniform(0, 0.3) * height])
    arm_top = np.array([left + rng.uniform(0, 0.8) * (stem_top[0] - 0.15 * width - left),
                        top + rng.uniform(0, 0.2) * height])
    bar_y = top + rng.uniform(0.52, 0.72) * height
    arm_bottom = np.array([left + rng.uniform(0, 0.1) * width, bar_y])
    bar_end = np.array([stem_x + rng.uniform(0.1, 0.45) * width,
                        bar_y + rng.uniform(-0.05, 0.05) * height])
    skeleton[:] = 0
    _draw(skeleton, _curve(arm_top, arm_bottom, rng.uniform(-0.15, 0.15)),
          np.array([arm_bottom, bar_end]), np.array([stem_top, [stem_x - lean, bottom]]))


def draw_hooked_stem(skeleton: np.ndarray, rng: np.random.Generator) -> None:
    """A 9 whose stem ends in a hook to the left, like the tail of a written g."""
    ink, _, height = _ink(skeleton)
    end = ink[ink[:, 1].argmax()]
    tip = end + np.array([-rng.uniform(0.12, 0.3), -rng.uniform(-0.02, 0.15)]) * height
    _draw(skeleton, _curve(end, tip, -rng.uniform(0.25, 0.5)))


def draw_slash(skeleton: np.ndarray, rng: np.random.Generator) -> None:
    """A 0 slashed, as many write it to tell it from O: a straight stroke up to the right
    through its middle, 35-75 degrees steep, ending at the loop or up to a fifth of the
    digit's height beyond it."""
    ink, top, height = _ink(skeleton)
    centre = np.array([ink[:, 0].mean(), top + height / 2])
    angle = np.deg2rad(rng.uniform(35, 75))
    direction = np.array([np.cos(angle), -np.sin(angle)])  # up to the right, y down
    low, high = (height / 2 / np.sin(angle)) * (1 + rng.uniform(-0.1, 0.4, 2))
    _draw(skeleton, np.array([centre - low * direction, centre + high * direction]))


CONTINENTAL_STYLES: dict[int, tuple[tuple[Shape, ...], ...]] = {
    0: ((draw_slash,),),
    1: ((draw_flag,), (draw_flag, draw_foot)),
    4: ((draw_open_four,),),
    7: ((draw_bar,), (draw_hooked_top,), (draw_bar, draw_hooked_top)),
    9: ((draw_hooked_stem,),),
}
