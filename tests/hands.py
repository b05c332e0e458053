"""A writer made on the spot for the line reader's tests: each digit a pen template (strokes in
a unit box, y down), so pages need no data set."""

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
