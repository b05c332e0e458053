"""Digits drawn on the spot, for tests that need ink but no data set: a writer for the line
reader's tests (each digit a pen template: strokes in a unit box, y down), digits as a person
draws them with the mouse, as a pen writes them on paper, and as a tablet stores them."""

from __future__ import annotations

import numpy as np

from digitnet.data.hands import Glyph, Hand, Hands


def arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float,
        points: int = 16) -> np.ndarray:
    """Points along an ellipse from angle start to stop, in radians (y down: clockwise)."""
    t = np.linspace(start, stop, points)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


DEG = np.pi / 180  # the templates' angles are written in degrees

TEMPLATES: dict[int, tuple[np.ndarray, ...]] = {
    0: (arc(0.3, 0.5, 0.3, 0.5, 0 * DEG, 360 * DEG),),
    1: (np.array([[0.15, 0.15], [0.3, 0.0], [0.3, 1.0]]),),
    2: (np.vstack([arc(0.3, 0.3, 0.3, 0.3, 180 * DEG, (360 + 30) * DEG),
                   [[0.0, 1.0], [0.6, 1.0]]]),),
    3: (arc(0.3, 0.25, 0.3, 0.25, 200 * DEG, 450 * DEG),
        arc(0.3, 0.75, 0.3, 0.25, 270 * DEG, 520 * DEG)),
    4: (np.array([[0.45, 1.0], [0.45, 0.0], [0.0, 0.7], [0.65, 0.7]]),),
    5: (np.array([[0.6, 0.0], [0.1, 0.0], [0.05, 0.45]]),
        arc(0.3, 0.7, 0.3, 0.3, 240 * DEG, 500 * DEG)),
    6: (np.vstack([arc(0.55, 0.5, 0.55, 0.5, 250 * DEG, 180 * DEG),
                   arc(0.3, 0.72, 0.28, 0.28, 180 * DEG, 540 * DEG)]),),
    7: (np.array([[0.0, 0.0], [0.6, 0.0], [0.2, 1.0]]),),
    8: (arc(0.3, 0.25, 0.25, 0.25, 0 * DEG, 360 * DEG),
        arc(0.3, 0.73, 0.3, 0.27, 0 * DEG, 360 * DEG)),
    9: (np.vstack([arc(0.3, 0.28, 0.28, 0.28, 0 * DEG, 360 * DEG), [[0.58, 0.28], [0.5, 1.0]]]),),
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

# digits as a person draws them with the mouse in a unit cell (y down), scaled into a digit's
# box; the 4 in two strokes
CELL_DIGITS: dict[int, list[np.ndarray]] = {
    0: [arc(0.5, 0.5, 0.3, 0.45, 0, 2 * np.pi, 24)],
    1: [np.array([[0.35, 0.2], [0.55, 0.05], [0.55, 0.95]])],
    2: [np.concatenate([arc(0.5, 0.3, 0.3, 0.25, 1.1 * np.pi, 2.15 * np.pi, 24),
                        [[0.15, 0.95], [0.9, 0.95]]])],
    3: [np.concatenate([arc(0.5, 0.27, 0.3, 0.22, 1.1 * np.pi, 2.5 * np.pi, 24),
                        arc(0.5, 0.72, 0.32, 0.23, 1.5 * np.pi, 2.9 * np.pi, 24)])],
    4: [np.array([[0.55, 0.05], [0.1, 0.65], [0.9, 0.65]]), np.array([[0.65, 0.3], [0.65, 0.95]])],
    7: [np.array([[0.15, 0.08], [0.85, 0.08], [0.4, 0.95]])],
}

# digits as pen strokes in a unit box (x right, y down), by character, for numbers written on
# paper: shapes a reader would accept
PEN_DIGITS: dict[str, list[list[tuple[float, float]]]] = {
    "1": [[(0.3, 0.2), (0.55, 0.0), (0.55, 1.0)]],
    "2": [[(0.1, 0.25), (0.4, 0.0), (0.8, 0.1), (0.85, 0.35), (0.1, 1.0), (0.95, 1.0)]],
    "3": [[(0.1, 0.1), (0.5, 0.0), (0.85, 0.2), (0.45, 0.5), (0.9, 0.75), (0.5, 1.0),
           (0.1, 0.9)]],
    "4": [[(0.6, 0.0), (0.05, 0.7), (0.95, 0.7)], [(0.7, 0.3), (0.7, 1.0)]],
    "5": [[(0.85, 0.0), (0.2, 0.0), (0.15, 0.45), (0.7, 0.4), (0.9, 0.7), (0.6, 1.0),
           (0.1, 0.9)]],
    "7": [[(0.05, 0.0), (0.95, 0.0), (0.35, 1.0)]],
    "0": [[(0.5 + 0.45 * np.sin(a), 0.5 - 0.5 * np.cos(a)) for a in np.linspace(0, 6.3, 24)]],
}

# a seven taller than wide, in any units (laid out to fit a canvas)
TALL_SEVEN = (np.array([[0.0, 0.0], [1.0, 0.0], [0.4, 1.6]]),)

# digits as pen strokes in tablet units (y up, as UNIPEN stores them), enough to tell apart
TABLET_DIGITS = {
    0: [[(200, 400), (120, 300), (150, 120), (250, 100), (300, 250), (200, 400)]],
    1: [[(200, 400), (210, 100)]],
    7: [[(100, 400), (300, 400), (180, 100)]],
}
