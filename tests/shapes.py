"""Digits drawn on the spot, for tests that need ink but no data set."""

from __future__ import annotations

import numpy as np

# digits as a person draws them with the mouse, in canvas units (x right, y down)
DIGITS = {
    0: [[(0.5, 0.15), (0.32, 0.25), (0.27, 0.5), (0.32, 0.75), (0.5, 0.85), (0.68, 0.75),
         (0.73, 0.5), (0.68, 0.25), (0.5, 0.15)]],
    1: [[(0.45, 0.25), (0.55, 0.15), (0.55, 0.85)]],
    4: [[(0.6, 0.15), (0.25, 0.6), (0.75, 0.6)], [(0.6, 0.35), (0.6, 0.85)]],
    7: [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]],
}

# a plain seven in one stroke, in canvas units
SEVEN = [np.array([[0.2, 0.2], [0.8, 0.2], [0.4, 0.9]])]

# a 1, a 7 and a 0 side by side, in picture units
NUMBER_STROKES = [
    [(0.18, 0.35), (0.22, 0.3), (0.22, 0.7)],
    [(0.35, 0.3), (0.55, 0.3), (0.43, 0.7)],
    [(0.75, 0.3), (0.66, 0.35), (0.64, 0.5), (0.66, 0.65), (0.75, 0.7), (0.84, 0.65),
     (0.86, 0.5), (0.84, 0.35), (0.75, 0.3)],
]
