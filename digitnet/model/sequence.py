"""The line reader's network: a small CNN and a bidirectional LSTM read a whole line of writing
at once, trained with CTC (Graves et al. 2006), as CRNN readers do (Shi et al. 2015); no cutting.

Its input is a line from digitnet.reading.lines: LINE_HEIGHT pixels high, bright ink on black. The
CNN turns it into one feature column per COLUMN_STEP pixels of width, the LSTM lets every
column see the whole line, and each column gets a probability for CTC's blank and every
character of ALPHABET (digitnet.common.line_format): the ten digits, the separators (. , - /)
as their own outputs (kept or dropped by the caller), and NOT_DIGIT for a drawing that is not a
digit. `SequenceReader` is a loaded reader: a line image in, its columns' probabilities out;
digitnet.reading.read_lines turns those into the project's Reading.

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
from digitnet.common.line_format import ALPHABET, COLUMN_STEP, LINE_HEIGHT
from digitnet.common.records import RecordError, check_fields, checked, from_plain, to_plain
from digitnet.model.networks import conv_bn
from digitnet.model.registry import DROPOUT
from digitnet.model.weights import DataSource, WeightsError, check_tensors, load_tagged

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
    below the threshold is not read as one: digitnet.reading.read_lines applies it)."""

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
