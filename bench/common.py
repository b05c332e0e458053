"""What every benchmark script shares: its flags, the refusal of weights that saw its writers,
its report or one JSON object, timing percentiles, a grid of the cases it got wrong and the
busy-loop processes that load the machine beside it.

A script stays one file that `python bench/SCRIPT.py` runs; this module keeps the scaffolding
the same across them, so that `--weights`, `--data-dir`, `--json` and `--grid` mean one thing
everywhere.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Any

import numpy as np

from digitnet import DigitnetError
from digitnet.data.pendigits import BENCHMARK_WRITERS, seen_benchmark_writers
from digitnet.model.classifier import Classifier

WEIGHTS_HELP = "weights file (default: the best shipped model)"
FOLD_HELP = "the benchmark folds (default), or the tuning folds to choose on"
# Where and how large bench/real_handwriting.py draws each pen digit; fixed, so every run draws
# the same canvases, and the numbers and pages benchmarks read those same single digits.
HANDWRITING_SEED = 0


def parser_for(doc: str | None) -> argparse.ArgumentParser:
    """A script's parser, its docstring (the commands it shows) as --help's text."""
    return argparse.ArgumentParser(description=doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def add_weights(parser: argparse.ArgumentParser, help: str = WEIGHTS_HELP) -> None:
    parser.add_argument("--weights", help=help)


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="the MNIST folder; the other data sets are looked "
                        "for beside it (default: $DIGITNET_DATA, ...; see digitnet.common.paths)")


def add_pendigits(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pendigits", help="pendigits-orig.tra (default: $DIGITNET_PENDIGITS, "
                        "else pendigits/ beside the MNIST folder)")


def add_fold(parser: argparse.ArgumentParser, help: str = FOLD_HELP) -> None:
    parser.add_argument("--fold", choices=("benchmark", "tune"), default="benchmark", help=help)


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of the report")


def png_path(text: str) -> Path:
    """An argparse type: a grid is written as PNG, so its path must say so."""
    if Path(text).suffix.lower() != ".png":
        raise argparse.ArgumentTypeError(f"expected a .png path, got {text!r}")
    return Path(text)


def add_grid(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--grid", type=png_path, metavar="PNG", help=help)


def refuse_seen_writers(classifier: Classifier,
                        writers: Iterable[int] = BENCHMARK_WRITERS) -> None:
    """Stop, in one line, if the weights learnt from any of the pen writers measured: their
    figure would not be one of unseen writers."""
    seen = seen_benchmark_writers(classifier.metadata.learned_from, writers)
    if seen:
        raise DigitnetError(f"{classifier.path} learned from the writers "
                            f"{', '.join(map(str, seen))}: it cannot be measured on unseen writers")


def plain(record: Any) -> Any:
    """A record (a dataclass, a list of them, or a dict) as JSON-ready dicts and lists."""
    if is_dataclass(record) and not isinstance(record, type):
        return asdict(record)
    if isinstance(record, list):
        return [plain(item) for item in record]
    return record


def show(record: Any, report: str, as_json: bool) -> None:
    """The figures as one JSON object for a program, or as the report for a person."""
    print(json.dumps(plain(record)) if as_json else report)


def p50_p95(seconds: Sequence[float]) -> tuple[float, float]:
    """The median and 95th percentile of timings, in milliseconds."""
    p50, p95 = 1000 * np.percentile(seconds, [50, 95])
    return float(p50), float(p95)


def percentiles(seconds: Sequence[float], spec: str = "6.2f", median: str = "p50") -> str:
    """'p50 1.23 ms, p95 4.56 ms' (`spec` formats each; `median` names the first); 'none
    measured' when a short run timed nothing (a reading that never finished in time)."""
    if not len(seconds):
        return "none measured"
    p50, p95 = p50_p95(seconds)
    return f"{median} {p50:{spec}} ms, p95 {p95:{spec}} ms"


def add_load(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--load", type=int, default=0, metavar="K", help=help)


@contextlib.contextmanager
def busy_cores(count: int) -> Iterator[None]:
    """`count` processes that each keep a core busy, as another program on a laptop would."""
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        time.sleep(0.5 if count else 0)  # let the scheduler see them
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


@dataclass(frozen=True)
class Cell:
    """One case in a grid: its image (uint8, 0-255) and caption (coloured, if `colour`)."""

    image: np.ndarray
    caption: str
    colour: str | None = None


def write_grid(path: Path, title: str, notes: Sequence[str], cells: Sequence[Cell | None],
               columns: int, cell_inches: tuple[float, float], cmap: str,
               **caption: Any) -> Path:
    """The cases as a PNG grid, row by row (None: an empty place), under a title and notes;
    `caption` styles each cell's caption (matplotlib's set_title keywords)."""
    from digitnet.train import reports  # matplotlib: only when a grid is asked for

    rows = max(1, -(-len(cells) // columns))
    figure, axes = reports.figure(title, notes, columns * cell_inches[0],
                                  rows * cell_inches[1], rows, columns)
    for ax, cell in zip_longest(np.ravel(axes), cells):
        ax.axis("off")
        if cell is not None:
            ax.imshow(cell.image, cmap=cmap, vmin=0, vmax=255)
            colour = {"color": cell.colour} if cell.colour else {}
            ax.set_title(cell.caption, **colour, **caption)
    return reports.save_figure(path, figure)
