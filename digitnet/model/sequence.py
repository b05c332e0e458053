"""The line reader: a small CNN and a bidirectional LSTM read a whole line of writing at once,
trained with CTC (Graves et al. 2006), as CRNN readers do (Shi et al. 2015); no cutting.

Its input is a line from digitnet.reading.lines: LINE_HEIGHT pixels high, bright ink on black. The
CNN turns it into one feature column per COLUMN_STEP pixels of width, the LSTM lets every
column see the whole line, and each column gets a probability for CTC's blank and every
character of ALPHABET: the ten digits, the separators (. , - /) as their own outputs (kept or
dropped by the caller), and NOT_DIGIT for a drawing that is not a digit. Reading a line is
the CTC best path: each run of one character across columns is that character once; its
peak column says how sure the reader is and where the character lies.

`read_line` turns that into the project's Reading (digitnet.reading.read): per digit a
confidence, its 0-9 distribution and its box on the page; what is not a digit is a rejected
part, so `--json`, the app's strip and its bars keep working. `read_page` reads every line of
a page, top to bottom, with the ink no line took.

Weights files hold a state dict, the model's config and typed metadata, loaded with
`torch.load(weights_only=True)` and checked as digitnet.model.weights checks the digit models'.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from digitnet import DigitnetError
from digitnet.common.argtypes import fraction, non_negative_int, positive_int
from digitnet.common.atomic import atomic_write
from digitnet.common.digits import IMAGE_SIZE, NUM_CLASSES
from digitnet.common.plain import RecordError, check_fields, checked, from_plain, to_plain
from digitnet.common.prediction import Prediction
from digitnet.data.strings import NOT_DIGIT, SEPARATORS
from digitnet.model.networks import conv_bn
from digitnet.model.registry import DROPOUT
from digitnet.model.weights import DataSource, WeightsError, check_tensors, load_tagged
from digitnet.reading.lines import LINE_HEIGHT, Lines, TextLine, find_lines, transform_points
from digitnet.reading.preprocess import Box, Ink, frame_ink
from digitnet.reading.result import DigitReading, Reading

ALPHABET = "0123456789" + SEPARATORS + NOT_DIGIT  # output k + 1 is ALPHABET[k]; 0 is blank
BLANK = 0
COLUMN_STEP = 4  # a feature column per this many pixels of the line's width
INKED = 0.3  # a line image's pixel this bright is ink, for a character's box
LINES_FORMAT = "digitnet-lines"
LINES_FORMAT_VERSION = 1


class SequenceError(DigitnetError):
    pass


@dataclass(frozen=True)
class SequenceConfig:
    """The line reader's shape."""

    channels: tuple[int, ...] = checked((12, 24, 48, 72))  # the CNN's four stages
    hidden: int = checked(64, non_negative_int)  # LSTM units each way; 0: no LSTM
    dropout: float = checked(0.1, DROPOUT)

    def __post_init__(self) -> None:
        check_fields(self)
        if len(self.channels) != 4 or not all(1 <= c <= 512 for c in self.channels):
            raise RecordError(f"channels must be 4 numbers in 1-512, got {self.channels}",
                              "channels")


class LineReader(nn.Module):
    """[N, 1, LINE_HEIGHT, W] lines in [0, 1] -> [N, W // COLUMN_STEP, len(ALPHABET) + 1]
    logits, one row per column of the line."""

    def __init__(self, config: SequenceConfig):
        super().__init__()
        a, b, c, d = config.channels
        self.features = nn.Sequential(
            conv_bn(1, a), nn.MaxPool2d(2),  # LINE_HEIGHT / 2 rows, W / 2 columns
            conv_bn(a, b), nn.MaxPool2d(2),  # / 4, W / 4: COLUMN_STEP
            conv_bn(b, c), nn.MaxPool2d((2, 1)),  # / 8
            conv_bn(c, d),
        )
        width = d * (LINE_HEIGHT // 8)
        self.dropout = nn.Dropout(config.dropout)
        self.lstm = (nn.LSTM(width, config.hidden, batch_first=True, bidirectional=True)
                     if config.hidden else None)
        self.classifier = nn.Linear(2 * config.hidden if config.hidden else width,
                                    len(ALPHABET) + 1)

    def forward(self, lines: torch.Tensor) -> torch.Tensor:
        columns = self.features(lines).flatten(1, 2).transpose(1, 2)  # [N, T, features]
        columns = self.dropout(columns)
        if self.lstm is not None:
            columns = self.lstm(columns)[0]
        return self.classifier(columns)


def columns_of(width: int) -> int:
    """The reader's columns for a line `width` pixels wide."""
    return width // COLUMN_STEP


def batch_lines(images: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Line images of any widths as one batch, padded with black on the right (at least
    COLUMN_STEP wide), and each one's number of columns."""
    width = max(COLUMN_STEP, *(image.shape[1] for image in images))
    batch = np.zeros((len(images), 1, LINE_HEIGHT, width), np.float32)
    for i, image in enumerate(images):
        batch[i, 0, :, :image.shape[1]] = image
    lengths = [max(1, columns_of(image.shape[1])) for image in images]
    return torch.from_numpy(batch), torch.tensor(lengths, dtype=torch.long)


def encode(text: str) -> list[int]:
    """A line's text as CTC targets (ALPHABET's outputs)."""
    return [ALPHABET.index(c) + 1 for c in text]


# --- reading ----------------------------------------------------------------------------------

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
        if best[start] != BLANK:
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


@dataclass(frozen=True)
class LinesMetadata:
    """Where a line reader's weights came from and how good they are."""

    date: str = ""
    torch: str = ""
    alphabet: str = ALPHABET
    line_height: int = checked(LINE_HEIGHT, positive_int)
    learned_from: tuple[DataSource, ...] = ()
    folds: dict[str, str] = field(default_factory=dict)  # what each fold was used for
    training: dict[str, Any] = field(default_factory=dict)  # the training config, plain
    steps: int = checked(0, non_negative_int)
    train_time_s: float = 0.0
    tune_exact: float | None = checked(None, fraction)  # lines read exactly, tuning pages
    reject_threshold: float | None = checked(None, fraction)
    history: tuple[dict[str, float], ...] = ()

    def __post_init__(self) -> None:
        check_fields(self)
        if self.alphabet != ALPHABET:
            raise RecordError(f"alphabet {self.alphabet!r} is not this reader's {ALPHABET!r}",
                              "alphabet")
        if self.line_height != LINE_HEIGHT:
            raise RecordError(f"line_height {self.line_height} is not {LINE_HEIGHT}",
                              "line_height")


class SequenceReader:
    """A loaded line reader, its metadata and its reject rule (a digit whose confidence is
    below the threshold is not read as one)."""

    def __init__(self, model: LineReader, metadata: LinesMetadata, threads: int | None = 1,
                 reject: bool = True):
        self.model = model.eval()
        self.metadata = metadata
        self.threshold = metadata.reject_threshold if reject else None
        if threads:
            torch.set_num_threads(threads)

    @classmethod
    def load(cls, path: str | os.PathLike[str], threads: int | None = 1,
             reject: bool = True) -> SequenceReader:
        model, metadata = load_line_weights(Path(path))
        return cls(model, metadata, threads, reject)

    @torch.inference_mode()
    def probabilities(self, image: np.ndarray) -> np.ndarray:
        """A line image's [columns, classes] probabilities (one line a pass: padding a shorter
        line to a longer one's width would change what the LSTM sees)."""
        batch, lengths = batch_lines([image])
        return torch.softmax(self.model(batch)[0].float(), dim=1).numpy()[:int(lengths[0])]

    def read_lines(self, lines: Lines) -> PageReading:
        """Each line of a page; a line read as nothing at all joins the ink no line took."""
        read = [read_line(line, self.probabilities(line.image), self.threshold)
                for line in lines.lines]
        return PageReading(tuple(r for r in read if r.text),
                           lines.ignored + tuple(r.box for r in read if not r.text))

    def read_page(self, image: np.ndarray, invert: bool | None = None) -> PageReading:
        """Any image `to_gray` takes: its lines found (digitnet.reading.lines) and read."""
        return self.read_lines(find_lines(image, invert))


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


# --- weights ----------------------------------------------------------------------------------

def save_line_weights(path: str | os.PathLike[str], model: LineReader, config: SequenceConfig,
                      metadata: LinesMetadata, *, replace: bool = True) -> Path:
    """Write atomically; with replace=False an existing file is never replaced."""
    payload = {
        "format": LINES_FORMAT,
        "format_version": LINES_FORMAT_VERSION,
        "config": to_plain(config),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "metadata": to_plain(metadata),
    }
    return atomic_write(path, lambda tmp: torch.save(payload, tmp), replace=replace)


def load_line_weights(path: Path) -> tuple[LineReader, LinesMetadata]:
    """The line reader a weights file describes (eval mode, CPU), after checking it all: its
    header, config and metadata, and every tensor (finite, matching the architecture)."""
    if not path.is_file():
        raise SequenceError(f"{path}: {'not a file' if path.exists() else 'weights not found'}")
    payload = load_tagged(path, LINES_FORMAT, "line reader's weights file", SequenceError)
    try:
        if payload.get("format_version") != LINES_FORMAT_VERSION:
            raise RecordError(f"format version {payload.get('format_version')!r} is not "
                              f"{LINES_FORMAT_VERSION}")
        config = from_plain(SequenceConfig, payload.get("config"), "config")
        metadata = from_plain(LinesMetadata, payload.get("metadata"), "metadata")
    except (RecordError, ValueError) as e:
        raise SequenceError(f"{path}: {e}") from None
    state = payload.get("state_dict")
    if not isinstance(state, dict):
        raise SequenceError(f"{path}: state_dict is missing")
    try:
        check_tensors(state, path)
    except WeightsError as e:
        raise SequenceError(str(e)) from None
    model = LineReader(config)
    expected = model.state_dict()
    wrong = [k for k in expected if k not in state or state[k].shape != expected[k].shape]
    wrong += [k for k in state if k not in expected]
    if wrong:
        raise SequenceError(f"{path}: weights do not match the line reader's architecture "
                            f"({wrong[0]})")
    model.load_state_dict(state)
    return model.eval(), metadata


def describe_line(line: LineReading) -> str:
    """A line as text: its number with separators, or why it is not one."""
    if line.rejected:
        return f"not digits (read {line.text!r})" if line.text else "not digits"
    return line.text
