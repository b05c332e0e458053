"""Digits drawn on the spot, for tests that need ink but no data set: a writer for the line
reader's tests (each digit a pen template: strokes in a unit box, y down), and digits as a
person draws them with the mouse."""

from __future__ import annotations

import numpy as np

from digitnet.data.hands import Glyph, Hand, Hands


def arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float,
        points: int = 16) -> np.ndarray:
    t = np.linspace(np.deg2rad(start), np.deg2rad(stop), points)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


TEMPLATES: dict[int, tuple[np.ndarray, ...]] = {
    0: (arc(0.3, 0.5, 0.3, 0.5, 0, 360),),
    1: (np.array([[0.15, 0.15], [0.3, 0.0], [0.3, 1.0]]),),
    2: (np.vstack([arc(0.3, 0.3, 0.3, 0.3, 180, 360 + 30), [[0.0, 1.0], [0.6, 1.0]]]),),
    3: (arc(0.3, 0.25, 0.3, 0.25, 200, 450), arc(0.3, 0.75, 0.3, 0.25, 270, 520)),
    4: (np.array([[0.45, 1.0], [0.45, 0.0], [0.0, 0.7], [0.65, 0.7]]),),
    5: (np.array([[0.6, 0.0], [0.1, 0.0], [0.05, 0.45]]), arc(0.3, 0.7, 0.3, 0.3, 240, 500)),
    6: (np.vstack([arc(0.55, 0.5, 0.55, 0.5, 250, 180), arc(0.3, 0.72, 0.28, 0.28, 180, 540)]),),
    7: (np.array([[0.0, 0.0], [0.6, 0.0], [0.2, 1.0]]),),
    8: (arc(0.3, 0.25, 0.25, 0.25, 0, 360), arc(0.3, 0.73, 0.3, 0.27, 0, 360)),
    9: (np.vstack([arc(0.3, 0.28, 0.28, 0.28, 0, 360), [[0.58, 0.28], [0.5, 1.0]]]),),
}


def template_hands(name: str = "templates/1", fold: str = "train") -> Hands:
    """One writer whose digits are the templates, and a cross as the drawing that is not a
    digit."""
    digits = {d: [Glyph(strokes=strokes)] for d, strokes in TEMPLATES.items()}
    cross = Glyph(strokes=(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])))
    return Hands(fold, {"templates": [Hand(name, digits)]}, [cross],
                 {"templates": np.array([name])})


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
