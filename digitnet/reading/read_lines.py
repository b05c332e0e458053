"""A page's lines read by the line reader: its output columns (digitnet.model.sequence) as the
project's Reading (digitnet.reading.read).

Reading a line is the CTC best path: each run of one character across columns is that
character once; its peak column says how sure the reader is and where the character lies.
`read_line` turns that into a Reading: per digit a confidence, its 0-9 distribution and its
box on the page; what is not a digit is a rejected part, so `--json`, the app's strip and its
bars keep working. `read_page` reads every line of a page, top to bottom, with the ink no line
took. The reader is handed in, already loaded, and asked only what `LineClassifier` says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from digitnet.common.box import Box
from digitnet.common.digits import IMAGE_SIZE, NUM_CLASSES
from digitnet.common.line_format import (
    ALPHABET,
    COLUMN_STEP,
    CTC_BLANK,
    LINE_HEIGHT,
    NOT_DIGIT,
    SEPARATORS,
)
from digitnet.common.prediction import Prediction
from digitnet.reading.line_geometry import transform_points
from digitnet.reading.lines import Lines, TextLine, find_lines
from digitnet.reading.preprocess import Ink, frame_ink
from digitnet.reading.result import DigitReading, Reading

INKED = 0.3  # a line image's pixel this bright is ink, for a character's box


class LineClassifier(Protocol):
    """What reading a line asks of the line reader (digitnet.model.sequence.SequenceReader is
    one): a line image's output columns, and the confidence below which a digit is not one."""

    threshold: float | None

    def probabilities(self, image: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Character:
    """One character of a line's best path."""

    char: str
    probs: np.ndarray  # float [len(ALPHABET) + 1] at its peak column
    peak: int  # the column where it is surest
    columns: tuple[int, int]  # [first, last + 1) of its run

    @property
    def confidence(self) -> float:
        return float(self.probs[ALPHABET.index(self.char) + 1])


def best_path(probs: np.ndarray) -> list[Character]:
    """The CTC best path of [T, classes] probabilities: each run of one non-blank output is
    one character, at its surest column."""
    best = probs.argmax(axis=1)
    found = []
    start = 0
    for t in range(1, len(best) + 1):
        if t < len(best) and best[t] == best[start]:
            continue
        if best[start] != CTC_BLANK:
            run = probs[start:t, best[start]]
            peak = start + int(run.argmax())
            found.append(Character(ALPHABET[best[start] - 1], probs[peak], peak, (start, t)))
        start = t
    return found


@dataclass(frozen=True)
class LineReading:
    """A line read: its digits as a Reading (what is not a digit a rejected part), its text as
    read with separators and NOT_DIGIT, and where it lies."""

    reading: Reading
    text: str
    box: Box
    characters: tuple[Character, ...]

    @property
    def rejected(self) -> bool:
        """Not digits: no digit read, or as many parts not digits as digits."""
        digits = sum(c.isdigit() for c in self.text)
        return digits == 0 or self.text.count(NOT_DIGIT) >= digits


@dataclass(frozen=True)
class PageReading:
    """Every line of a page read, top to bottom, and the ink no line took."""

    lines: tuple[LineReading, ...]
    ignored: tuple[Box, ...]

    @property
    def reading(self) -> Reading:
        """All the lines' digits, line after line."""
        return Reading(tuple(d for line in self.lines for d in line.reading.digits))


def read_lines(reader: LineClassifier, lines: Lines) -> PageReading:
    """Each line of a page; a line read as nothing at all joins the ink no line took."""
    read = [read_line(line, reader.probabilities(line.image), reader.threshold)
            for line in lines.lines]
    return PageReading(tuple(r for r in read if r.text),
                       lines.ignored + tuple(r.box for r in read if not r.text))


def read_page(reader: LineClassifier, image: np.ndarray,
              invert: bool | None = None) -> PageReading:
    """Any image `to_gray` takes: its lines found (digitnet.reading.lines) and read."""
    return read_lines(reader, find_lines(image, invert))


def read_line(line: TextLine, probs: np.ndarray, threshold: float | None) -> LineReading:
    """A line's reading from its columns' probabilities: each digit of the best path a part
    with its confidence (its probability at its peak column), its 0-9 distribution there and
    its box (`character_ink`); NOT_DIGIT a rejected part; separators only in the text."""
    characters = best_path(probs)
    peaks = [c.peak for c in characters]
    parts = []
    for k, character in enumerate(characters):
        if character.char in SEPARATORS:
            continue
        digits = character.probs[1:NUM_CLASSES + 1]
        distribution = digits / max(float(digits.sum()), 1e-12)
        best = int(distribution.argmax())
        confidence = float(character.probs[best + 1])
        rejected = character.char == NOT_DIGIT or (threshold is not None
                                                   and confidence < threshold)
        prediction = Prediction(best, confidence, tuple(float(p) for p in distribution),
                                rejected)
        image, box = character_ink(line, peaks, k)
        parts.append(DigitReading(image, prediction, box))
    text = "".join(c.char for c in characters)
    return LineReading(Reading(tuple(parts)), text, line.box, tuple(characters))


def character_ink(line: TextLine, peaks: list[int], k: int) -> tuple[np.ndarray, Box]:
    """The k-th character's ink: the line's columns from halfway to the character before to
    halfway to the one after, cut to the ink there; as the network's 28x28 input (the app's
    strip shows it) and as a box on the page."""
    width = line.image.shape[1]
    centre = [COLUMN_STEP * p + COLUMN_STEP / 2 for p in peaks]
    left = 0 if k == 0 else round((centre[k - 1] + centre[k]) / 2)
    right = width if k == len(peaks) - 1 else round((centre[k] + centre[k + 1]) / 2)
    window = line.image[:, left:max(right, left + 1)]
    rows, cols = np.nonzero(window > INKED)
    if len(rows):
        top, bottom = int(rows.min()), int(rows.max()) + 1
        left, right = left + int(cols.min()), left + int(cols.max()) + 1
    else:
        top, bottom = 0, LINE_HEIGHT
    crop = line.image[top:bottom, left:right]
    ink = Ink(crop, (crop > INKED).astype(np.uint8) * 255, line.image.shape, Box(
        left, top, right - left, bottom - top))
    corners = np.array([[left, top], [right, top], [left, bottom], [right, bottom]], float)
    page = transform_points(corners, line.to_page)
    low, high = np.floor(page.min(0)).astype(int), np.ceil(page.max(0)).astype(int)
    image = frame_ink(ink) if crop.any() else np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    return image, Box(int(low[0]), int(low[1]), int(high[0] - low[0]), int(high[1] - low[1]))
