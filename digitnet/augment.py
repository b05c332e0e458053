"""Batch augmentation on tensors: how people draw on a canvas, simulated on MNIST digits.

Everything runs on whole batches (one grid_sample per batch), so augmentation costs a small
fraction of an epoch on two CPU cores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from digitnet.drawn import continental_segment, thin


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

    def __call__(
        self, images: torch.Tensor, generator: torch.Generator, skeletons: torch.Tensor | None = None
    ) -> torch.Tensor:
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
        up = F.interpolate(batch, scale_factor=2, mode="bilinear", align_corners=False)[:, 0].numpy()
        out.append(torch.from_numpy(thin(up > 0.5)).unsqueeze(1).to(torch.uint8))
    return torch.cat(out)


def add_continental_marks(skeletons: torch.Tensor, labels: torch.Tensor, prob: float, seed: int) -> torch.Tensor:
    """A copy of the skeletons in which a random `prob` share of the 1s and 7s got a flag or a bar
    (drawn.continental_segment): MNIST has almost none, and without them a flagged 1 reads as 7."""
    rng = np.random.default_rng(seed)
    out = skeletons.clone()
    for i in np.flatnonzero(np.isin(labels.numpy(), (1, 7))):
        if rng.random() >= prob:
            continue
        skeleton = out[i, 0].numpy()  # a view: drawing on it draws on `out`
        ys, xs = np.nonzero(skeleton)
        segment = continental_segment(np.stack([xs, ys], 1).astype(np.float32), int(labels[i]), rng)
        if segment is not None:
            start, end = (tuple(int(v) for v in np.round(p)) for p in segment)
            cv2.line(skeleton, start, end, 1, 1)
    return out


def _disk(radius: float) -> torch.Tensor:
    size = 2 * int(np.ceil(radius)) + 1
    ys, xs = np.mgrid[:size, :size] - size // 2
    return torch.from_numpy((xs**2 + ys**2 <= radius**2).astype(np.float32))[None, None]


def restroke(images: torch.Tensor, skeletons: torch.Tensor, aug: Augment, generator: torch.Generator) -> torch.Tensor:
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
        drawn = F.conv2d(skeletons[chosen].float(), disk, padding=disk.shape[-1] // 2).clamp_(max=1.0)
        drawn = F.avg_pool2d(drawn, 2)
        peak = drawn.flatten(1).amax(1).clamp_min(1e-6).view(-1, 1, 1, 1)
        out[chosen] = torch.where(peak > 0.01, drawn / peak, images[chosen])  # an empty skeleton keeps its digit
    return out


def _uniform(n: int, low: float, high: float, generator: torch.Generator, device) -> torch.Tensor:
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


def change_stroke_width(images: torch.Tensor, prob: float, generator: torch.Generator) -> torch.Tensor:
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
