"""Real pen handwriting: the UNIPEN trajectories of UCI's pendigits, and splits by writer.

`pendigits-orig.tra` holds 7,494 digits by 30 writers, written with a stylus in 500x500
boxes of a tablet and sampled every 100 ms. A sample opens with `.SEGMENT DIGIT ... ? "8"`
(its label), `.COMMENT label writer index` names its writer, and each `.PEN_DOWN` ... `.PEN_UP`
block is one stroke of `x y` lines with y pointing up. Other directives (`.DT`, the header's
`.INCLUDE`, `.LEXICON`, ...) carry nothing digitnet uses and are skipped.

A model is judged on writers it never saw, so samples are split by writer, never by sample:
`BENCHMARK_WRITERS` are held out for the real-handwriting benchmark (bench/real_handwriting.py).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from digitnet import DigitnetError
from digitnet.common.paths import DataSet, find_data
from digitnet.data.strokes import TRAINING_STYLE, CanvasStyle, render_all

PENDIGITS_ENV_VAR = "DIGITNET_PENDIGITS"
PENDIGITS_FILE = "pendigits-orig.tra"
PENDIGITS_DATA = DataSet("pendigits", "pendigits", PENDIGITS_FILE, PENDIGITS_ENV_VAR)
TABLET_SIDE = 500  # the writing box, in tablet units: y_down = TABLET_SIDE - y_up
# A weights file's metadata names its training data in `learned_from`: one source per data set,
# this one named PENDIGITS_SOURCE and listing the writer ids it took in `writers`.
PENDIGITS_SOURCE = "pendigits"
# Writers are held out by a seeded permutation of the sorted writer ids: the first
# HELDOUT_COUNT ids of np.random.default_rng(SPLIT_SEED).permutation(ids). 14: this number.
SPLIT_SEED = 14
HELDOUT_COUNT = 6
ALL_WRITERS = tuple(range(1, 31))  # the 30 writers of pendigits-orig.tra

_SEGMENT = re.compile(r'^\.SEGMENT\s.*"(\d)"\s*$')


class PendigitsError(DigitnetError):
    pass


@dataclass(frozen=True, eq=False)
class PenSample:
    """One handwritten digit: strokes of [K, 2] float32 (x, y) in tablet units, y pointing down."""

    label: int
    writer: int
    strokes: tuple[np.ndarray, ...]


def load_pendigits(path: str | os.PathLike | None = None,
                   data_dir: str | os.PathLike | None = None) -> list[PenSample]:
    """Every sample of a UNIPEN file (default: where digitnet.common.paths.find_data finds
    pendigits), in file order."""
    path = find_data(PENDIGITS_DATA, path, data_dir)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise PendigitsError(PENDIGITS_DATA.not_found(path)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise PendigitsError(f"{path}: cannot read it as UNIPEN text ({e})") from None
    return parse_unipen(text.splitlines(), str(path))


class _SampleBuilder:
    """The sample being read: its label, writer and strokes, and the stroke still open."""

    def __init__(self, label: int, where: str):
        self.label, self.where = label, where
        self.writer: int | None = None
        self.strokes: list[np.ndarray] = []
        self.points: list[tuple[float, float]] | None = None  # None: the pen is up

    def finish(self) -> PenSample:
        if self.points is not None:
            raise PendigitsError(
                f"{self.where}: a stroke of this sample is never closed by .PEN_UP"
            )
        if self.writer is None:
            raise PendigitsError(f"{self.where}: sample has no .COMMENT line naming its writer")
        if not self.strokes:
            raise PendigitsError(f"{self.where}: sample has no strokes")
        return PenSample(self.label, self.writer, tuple(self.strokes))


def parse_unipen(lines: Sequence[str], source: str = "<text>") -> list[PenSample]:
    """UNIPEN lines -> samples; a broken file raises PendigitsError naming `source` and the line."""
    samples: list[PenSample] = []
    sample: _SampleBuilder | None = None
    for number, line in enumerate(lines, 1):
        where = f"{source}:{number}"
        words = line.split()
        if not words:
            continue
        if words[0] == ".SEGMENT":
            if sample is not None:
                samples.append(sample.finish())
            sample = _SampleBuilder(_segment_label(line, where), where)
        elif sample is None:
            _before_first_segment(words, where)
        else:
            _read_line(sample, words, where)
    if sample is not None:
        samples.append(sample.finish())
    if not samples:
        raise PendigitsError(f"{source}: no .SEGMENT samples found: not a pendigits UNIPEN file")
    return samples


def _segment_label(line: str, where: str) -> int:
    match = _SEGMENT.match(line.strip())
    if not match:
        raise PendigitsError(f'{where}: .SEGMENT without a digit label in quotes (like ? "8")')
    return int(match.group(1))


def _before_first_segment(words: list[str], where: str) -> None:
    if not words[0].startswith("."):
        raise PendigitsError(f"{where}: coordinates before the first .SEGMENT")
    if words[0] in (".PEN_DOWN", ".PEN_UP", ".COMMENT"):
        raise PendigitsError(f"{where}: {words[0]} before the first .SEGMENT")


def _read_line(sample: _SampleBuilder, words: list[str], where: str) -> None:
    """One line inside a sample: a directive, or a point of the open stroke."""
    keyword = words[0]
    if keyword == ".PEN_DOWN":
        if sample.points is not None:
            raise PendigitsError(
                f"{where}: .PEN_DOWN while a stroke is still open (no .PEN_UP before it)"
            )
        sample.points = []
    elif keyword == ".PEN_UP":
        if not sample.points:
            raise PendigitsError(
                f"{where}: .PEN_UP without a stroke (no .PEN_DOWN or no points before it)"
            )
        xy = np.array(sample.points, np.float32)
        sample.strokes.append(np.stack([xy[:, 0], TABLET_SIDE - xy[:, 1]], axis=1))
        sample.points = None
    elif keyword == ".COMMENT":
        sample.writer = _comment_writer(words, sample.label, where)
    elif keyword.startswith("."):
        if sample.points is not None:
            raise PendigitsError(f"{where}: {keyword} inside a stroke (a .PEN_UP is missing)")
    elif sample.points is None:
        raise PendigitsError(f"{where}: coordinates outside a .PEN_DOWN ... .PEN_UP block")
    else:
        sample.points.append(_point(words, where))


def _comment_writer(words: list[str], label: int, where: str) -> int:
    """`.COMMENT label writer index` -> writer; the label must agree with the .SEGMENT's."""
    try:
        fields = [int(w) for w in words[1:4]]
    except ValueError:
        fields = []
    if len(fields) < 2 or fields[1] < 1:
        raise PendigitsError(
            f"{where}: .COMMENT should read 'label writer index' as numbers, "
            f"got {' '.join(words)!r}"
        )
    if fields[0] != label:
        raise PendigitsError(f"{where}: .COMMENT says digit {fields[0]}, its .SEGMENT says {label}")
    return fields[1]


def _point(words: list[str], where: str) -> tuple[float, float]:
    try:
        x, y = float(words[0]), float(words[1])
    except (ValueError, IndexError):
        x = y = math.nan
    if len(words) != 2 or not (math.isfinite(x) and math.isfinite(y)):
        raise PendigitsError(
            f"{where}: expected a point 'x y' of two finite numbers, got {' '.join(words)!r}"
        )
    return x, y


@dataclass(frozen=True)
class WriterSplit:
    """Writers to learn from and writers held out; no writer is in both."""

    train: tuple[int, ...]
    heldout: tuple[int, ...]


def writer_folds(
    writers: Iterable[int] = ALL_WRITERS, folds: int = 5, seed: int = SPLIT_SEED
) -> list[WriterSplit]:
    """Cross-validation by writer: the seeded permutation of the sorted ids cut into `folds` groups,
    each held out once. With the defaults, fold 0 holds out exactly `BENCHMARK_WRITERS`."""
    ids = sorted(set(writers))
    if not 2 <= folds <= len(ids):
        raise ValueError(f"need 2 to {len(ids)} folds for {len(ids)} writers, got {folds}")
    order = np.random.default_rng(seed).permutation(ids)
    groups = np.array_split(order, folds)
    return [
        WriterSplit(tuple(sorted(set(ids) - set(g.tolist()))), tuple(sorted(g.tolist())))
        for g in groups
    ]


def split_writers(
    writers: Iterable[int] = ALL_WRITERS, heldout: int = HELDOUT_COUNT, seed: int = SPLIT_SEED
) -> WriterSplit:
    """Hold out `heldout` whole writers: the first ids of the seeded permutation of the sorted
    ids (with the defaults, `BENCHMARK_WRITERS`)."""
    ids = sorted(set(writers))
    if not 0 < heldout < len(ids):
        raise ValueError(f"can hold out 1 to {len(ids) - 1} of {len(ids)} writers, got {heldout}")
    order = np.random.default_rng(seed).permutation(ids).tolist()
    return WriterSplit(tuple(sorted(order[heldout:])), tuple(sorted(order[:heldout])))


BENCHMARK_WRITERS = split_writers().heldout  # never train, tune or select on these
TRAINING_WRITERS = split_writers().train


class DataSourceRecord(Protocol):
    """A data source of a weights file's metadata (digitnet.model.weights.DataSource): its name, and
    for this data set the writer ids it took, in a `writers` attribute."""

    @property
    def name(self) -> str: ...


def seen_benchmark_writers(learned_from: Iterable[DataSourceRecord],
                           writers: Iterable[int] = BENCHMARK_WRITERS) -> tuple[int, ...]:
    """The benchmark's writers (or these `writers`) among those a model learned from. A
    pendigits source that lists no writer ids (an older file) counts as all of them: a figure
    on writers the model may have seen is no figure on unseen writers."""
    seen: set[int] = set()
    for source in learned_from:
        if source.name == PENDIGITS_SOURCE:
            listed = getattr(source, "writers", ())
            valid = bool(listed) and all(isinstance(w, int) for w in listed)
            seen |= set(listed) if valid else set(ALL_WRITERS)
    return tuple(sorted(seen & set(writers)))


def of_writers(samples: Iterable[PenSample], writers: Iterable[int]) -> list[PenSample]:
    """The samples written by these writers, in their order."""
    wanted = set(writers)
    return [s for s in samples if s.writer in wanted]


@dataclass(frozen=True)
class PenImages:
    """Pen samples drawn as the app draws them, through the canvas transform."""

    images: np.ndarray  # uint8 [N, 28, 28], MNIST's convention
    labels: np.ndarray  # int64 [N]
    writers: np.ndarray  # int64 [N]


def render_pen_samples(
    samples: Sequence[PenSample], style: CanvasStyle = TRAINING_STYLE, seed: int = 0
) -> PenImages:
    """Draw every sample on a canvas with the app's brush, each at its own size, place, brush,
    slant and canvas from `style` (seeded), and pass it through the canvas transform."""
    images = render_all([s.strokes for s in samples], style, seed)
    labels = np.array([s.label for s in samples], np.int64)
    return PenImages(images, labels, np.array([s.writer for s in samples], np.int64))
