"""Thinning: a binary image's one-pixel-wide skeleton. A pure image operation, shared by
training's augmentation and the drawn-digit benchmark's generator (which share nothing else)."""

from __future__ import annotations

import numpy as np


def thin(binary: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of boolean images [..., H, W] to one-pixel-wide skeletons (a batch at
    once: every image takes the same number of passes as the slowest)."""
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
            removable = (count >= 2) & (count <= 6) & (transitions == 1) & ~keep
            remove = p[..., 1:-1, 1:-1] & removable
            if remove.any():
                img[..., 1:-1, 1:-1] &= ~remove
                changed = True
        if not changed:
            return img[..., 1:-1, 1:-1]
