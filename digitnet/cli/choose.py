"""Which reader reads an image file for `predict`: the line reader (digitnet.reading.lines
finds the lines, digitnet.reading.read_lines reads each with digitnet.model.sequence), today's
cutter (digitnet.reading.read.read_canvas), or the one digit a crop is centred on (--one-digit).
`auto` is the choice the tuning fold made (docs/paper.md): the line reader, except for a lone
mark (the cutter finds one, and the line reader reads at most two digits), which the digit
network and its speck rule read better."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitnet.common.box import Box
from digitnet.model.classifier import Classifier
from digitnet.model.sequence import SequenceReader
from digitnet.reading.crops import read_centred
from digitnet.reading.lines import find_lines
from digitnet.reading.read import read_canvas
from digitnet.reading.read_lines import LineReading, read_lines
from digitnet.reading.result import Reading


@dataclass(frozen=True)
class FileReading:
    """What an image reads as: every digit line after line (the Reading contract), the lines
    when the line reader read them (each with its text, separators kept), and the ink that no
    line took (never dropped silently)."""

    reading: Reading
    lines: tuple[LineReading, ...] = ()
    ignored: tuple[Box, ...] = ()


@dataclass(frozen=True)
class Readers:
    """The readers `predict` may use, loaded once for every file."""

    digits: Classifier
    lines: SequenceReader | None  # None: --reader digits or --one-digit, not loaded


def read_image_with(readers: Readers, image: np.ndarray, reader: str, invert: bool | None,
                    one_digit: bool = False) -> FileReading:
    """`image` read by `reader` (predict's --reader: auto, lines or digits), or as the one digit
    it is centred on."""
    if one_digit:
        return FileReading(read_centred(readers.digits, image, invert))
    if reader == "digits" or readers.lines is None:
        return FileReading(read_canvas(readers.digits, image, invert=invert))
    page = read_lines(readers.lines, find_lines(image, invert))
    if reader == "auto" and digits_read(page.lines) <= 2:  # the cutter only where it may win
        cut = read_canvas(readers.digits, image, invert=invert)
        if cut.single is not None:
            return FileReading(cut)  # a lone mark: the digit network reads it best
    return FileReading(page.reading, page.lines, page.ignored)


def digits_read(lines: tuple[LineReading, ...]) -> int:
    """How many characters of the lines were read as digits."""
    return sum(char.isdigit() for line in lines for char in line.text)
