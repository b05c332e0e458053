"""Training data beyond MNIST: real pen digits, and drawings that are not digits, as the app draws.

Pen digits (digitnet.pendigits) of the writers a run may learn from are drawn `renders` times
each, every time on another canvas, with another brush, size, place, slant and rotation
(strokes.TRAINING_STYLE), so one real digit is seen in several of the ways a person could draw
it in the app. Negatives are Omniglot's train split and generated non-digits
(scribbles.TRAINING_SCRIBBLES with seeds of their own, without specks: those never reach the
model, see digitnet.reject), labelled NOT_A_DIGIT. Drawing them takes a minute or two, so each
set is cached in the user cache under a name that hashes everything that made it, the source
file's checksum included.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from digitnet import DigitnetError
from digitnet.atomic import atomic_write
from digitnet.omniglot import OMNIGLOT_ENV_VAR, OMNIGLOT_FILE, default_omniglot_path, load_omniglot
from digitnet.paths import default_mnist_dir, user_cache_dir
from digitnet.pendigits import (
    BENCHMARK_WRITERS,
    PENDIGITS_ENV_VAR,
    PENDIGITS_FILE,
    default_pendigits_path,
    load_pendigits,
    of_writers,
)
from digitnet.preprocess import TRANSFORM_VERSION
from digitnet.scribbles import KINDS, SPECK_KINDS, TRAINING_SCRIBBLES, generate_non_digits
from digitnet.strokes import TRAINING_STYLE, render_all, to_images

NOT_A_DIGIT = -1  # the label of a negative: its target is "none of the digits", not a class
MIXTURE_VERSION = 1  # part of every cache name: raise it when drawing changes
# Seeds of training's own drawings; bench/not_a_digit.py draws with seed 15, real_handwriting 0.
PEN_SEED = 1000
NEGATIVE_SEED = 2000
TRAINING_KINDS = tuple(kind for kind in KINDS if kind not in SPECK_KINDS)
GENERATED_SHARE = 0.2  # of the negatives; the rest are Omniglot's, as far as its split goes


@dataclass(frozen=True, eq=False)
class Extra:
    """Images to train on beside MNIST: uint8 [N, 28, 28], labels (NOT_A_DIGIT for a negative),
    the writer of each pen digit (0 for others), and the source files' md5 by name."""

    images: np.ndarray
    labels: np.ndarray  # int64
    writers: np.ndarray  # int64
    files: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)


def beside_mnist(data_dir: str | None, env_var: str, folder: str, file: str) -> Path | None:
    """Where a data set lies: $env_var if set, else FOLDER/FILE beside --data-dir's MNIST folder
    (None: the data module's own default)."""
    if os.environ.get(env_var) or not data_dir:
        return None
    return default_mnist_dir(data_dir).parent / folder / file


def pen_digits(writers: Sequence[int], renders: int, data_dir: str | None = None,
               cache: Path | None = None) -> Extra:
    """The pen digits of `writers`, each drawn `renders` times; refuses the benchmark's writers."""
    seen = sorted(set(writers) & set(BENCHMARK_WRITERS))
    if seen:
        raise DigitnetError(f"pen writers {seen} are the real-handwriting benchmark's: "
                            "training on them would void its figure")
    path = default_pendigits_path(beside_mnist(data_dir, PENDIGITS_ENV_VAR, "pendigits",
                                               PENDIGITS_FILE))
    files = {PENDIGITS_FILE: md5(path)}
    key = f"pen {sorted(set(writers))} {renders} {PEN_SEED} {TRAINING_STYLE} {files}"

    def draw() -> Extra:
        chosen = of_writers(load_pendigits(path), writers)
        if not chosen:
            raise DigitnetError(f"{path}: none of the writers {list(writers)} is in it")
        strokes = [s.strokes for s in chosen]
        images = [render_all(strokes, TRAINING_STYLE, PEN_SEED + r) for r in range(renders)]
        return Extra(np.concatenate(images), np.array([s.label for s in chosen] * renders),
                     np.array([s.writer for s in chosen] * renders), files)

    return cached(key, draw, cache)


def negatives(count: int, data_dir: str | None = None,
              cache: Path | None = None) -> tuple[Extra, Extra]:
    """`count` drawings that are not digits: (the first of Omniglot's train split, generated
    ones), GENERATED_SHARE of them generated unless Omniglot's split runs out."""
    path = default_omniglot_path(beside_mnist(data_dir, OMNIGLOT_ENV_VAR, "omniglot",
                                              OMNIGLOT_FILE))
    files = {OMNIGLOT_FILE: md5(path)}
    wanted = count - round(GENERATED_SHARE * count)
    omniglot_key = f"omniglot {wanted} {NEGATIVE_SEED} {TRAINING_STYLE} {files}"

    def draw_omniglot() -> Extra:
        drawings = load_omniglot("train", path)[:wanted]
        return _negative(render_all(drawings, TRAINING_STYLE, NEGATIVE_SEED), files)

    omniglot = cached(omniglot_key, draw_omniglot, cache)
    generated = count - len(omniglot)
    style = replace(TRAINING_SCRIBBLES, kinds=TRAINING_KINDS)

    def draw_generated() -> Extra:
        made = generate_non_digits(generated, NEGATIVE_SEED + 1, style)
        return _negative(to_images(g.sketch for g in made), {})

    return omniglot, cached(f"generated {generated} {NEGATIVE_SEED} {style}", draw_generated, cache)


def _negative(images: np.ndarray, files: dict[str, str]) -> Extra:
    zeros = np.zeros(len(images), np.int64)
    return Extra(images, zeros + NOT_A_DIGIT, zeros, files)


def md5(path: Path) -> str:
    try:
        return hashlib.md5(path.read_bytes()).hexdigest()
    except OSError as e:
        raise DigitnetError(f"{path}: cannot read it ({e.strerror or e})") from None


def cached(key: str, draw: Callable[[], Extra], cache: Path | None = None) -> Extra:
    """draw()'s result, kept in `cache` (default: the user cache's mixture/ folder) as an .npz
    named by a hash of `key`, the transform's version and MIXTURE_VERSION."""
    digest = hashlib.sha256(f"{key} {TRANSFORM_VERSION} {MIXTURE_VERSION}".encode())
    path = (cache or user_cache_dir() / "mixture") / f"{digest.hexdigest()[:16]}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as stored:
                files = dict(zip(stored["names"].tolist(), stored["md5s"].tolist(), strict=True))
                return Extra(stored["images"], stored["labels"], stored["writers"], files)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file is drawn again and replaced
    extra = draw()

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, images=extra.images, labels=extra.labels.astype(np.int64),
                     writers=extra.writers.astype(np.int64), names=np.array(list(extra.files), str),
                     md5s=np.array(list(extra.files.values()), str))

    try:
        atomic_write(path, write)
    except OSError as e:
        print(f"warning: cannot cache {path} ({e.strerror or e})", file=sys.stderr)
    return extra
