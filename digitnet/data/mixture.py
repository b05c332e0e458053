"""Training data beyond MNIST: real digits and drawings that are not digits, as readers get them.

Every source is a registered one (digitnet.data.sources), and training takes only its train fold
(pendigits: the writers a run may learn from). Digits: pen digits (pendigits, UNIPEN's training
collections) drawn `renders` times each, every time another way: on the app's canvas with
another brush, size, place, slant and rotation (strokes.TRAINING_STYLE), or, for a share `ink`
of them, in ink on a scanned page (ink.TRAINING_INK), so one real digit is seen in several of
the ways a person could write it; and CVL's scans of paper, as `predict` reads them.
Negatives, labelled NOT_A_DIGIT: Omniglot's train split and generated non-digits
(scribbles.TRAINING_SCRIBBLES with seeds of their own, without specks: those never reach the
model, see digitnet.reading.reject), UNIPEN's letters and symbols (without the digit-like ones) and
Quick, Draw! doodles. Drawing them takes minutes, so each set is cached in the user cache
under a name that hashes everything that made it, the source file's checksum included.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from digitnet import DigitnetError
from digitnet.common.atomic import atomic_write
from digitnet.common.digits import IMAGE_SIZE, TRANSFORM_VERSION
from digitnet.common.paths import find_data, user_cache_dir
from digitnet.data.folds import NOT_A_DIGIT, Fold, inputs
from digitnet.data.ink import TRAINING_INK
from digitnet.data.pendigits import BENCHMARK_WRITERS
from digitnet.data.scribbles import KINDS, SPECK_KINDS, TRAINING_SCRIBBLES, generate_non_digits
from digitnet.data.sources import SOURCES, Lookup, load_fold, pendigits_of
from digitnet.data.strokes import TRAINING_STYLE, to_images

MIXTURE_VERSION = 2  # part of every cache name: raise it when drawing changes
# Seeds of training's own drawings; the benchmarks draw with seeds of their own.
PEN_SEED = 1000
NEGATIVE_SEED = 2000
SOURCE_SEEDS = {"unipen-digits": 4000, "cvl": 4500, "unipen-letters": 5000, "quickdraw": 6000}
TRAINING_KINDS = tuple(kind for kind in KINDS if kind not in SPECK_KINDS)
GENERATED_SHARE = 0.2  # of the negatives; the rest are Omniglot's, as far as its split goes


@dataclass(frozen=True, eq=False)
class Extra:
    """Images to train on beside MNIST: uint8 [N, 28, 28], labels (NOT_A_DIGIT for a negative),
    the group each came from (writer, 'provider/writer', category; '' if none), and the source
    files' md5 by name."""

    images: np.ndarray
    labels: np.ndarray  # int64
    groups: np.ndarray  # str
    files: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)


def draw_pass(fold: Fold, ink: float, seed: int) -> np.ndarray:
    """Each drawing of a fold once, uint8 [N, 28, 28]: on the app's canvas (TRAINING_STYLE), or,
    for a seeded share `ink` of them, in ink on a scanned page (TRAINING_INK). Scans are
    themselves."""
    on_paper = np.random.default_rng(seed).random(len(fold)) < ink
    images = np.zeros((len(fold), IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    for chosen, style in ((~on_paper, TRAINING_STYLE), (on_paper, TRAINING_INK)):
        if chosen.any():
            images[chosen] = inputs(fold.where(chosen), style, seed)
    return images


def cycle(fold: Fold, count: int, ink: float, seed: int, files: dict[str, str],
          cache: Path | None = None) -> Extra:
    """`count` drawings: the fold's in order, again and again, pass k drawn with seed + k."""
    if len(fold) == 0:
        raise DigitnetError(f"{fold.source}'s {fold.fold} fold is empty: nothing to learn from")
    order = hashlib.md5("\n".join(fold.groups.tolist() + fold.names.tolist()).encode())
    key = (f"{fold.source} {fold.fold} {len(fold)} {order.hexdigest()} {count} {ink} {seed} "
           f"{TRAINING_STYLE} {TRAINING_INK} {files}")

    def draw() -> Extra:
        full, rest = divmod(count, len(fold))
        passes = [draw_pass(fold, ink, seed + k) for k in range(full)]
        if rest:
            passes.append(draw_pass(fold.take(np.arange(rest)), ink, seed + full))
        return Extra(np.concatenate(passes), np.resize(fold.labels, count),
                     np.resize(fold.groups, count), files)

    return cached(key, draw, cache)


def source_files(source: str, lookup: Lookup) -> dict[str, str]:
    """The md5 of a registered source's file, by name ({} for generated ones)."""
    data = SOURCES[source].data
    return {} if data is None else {data.file: md5(find_data(data, data_dir=lookup.data_dir))}


def renders_of(source: str, renders: int, ink: float = 0.0, data_dir: str | None = None,
               cache: Path | None = None) -> Extra:
    """A registered source's train fold, each drawing `renders` times (scans repeated)."""
    lookup = Lookup(data_dir)
    fold = load_fold(source, "train", lookup)
    return cycle(fold, renders * len(fold), ink, SOURCE_SEEDS[source],
                 source_files(source, lookup), cache)


def some_of(source: str, count: int, ink: float = 0.0, data_dir: str | None = None,
            cache: Path | None = None) -> Extra:
    """`count` drawings of a registered source's train fold, in a seeded order (drawn again,
    another way, when the fold runs out)."""
    lookup = Lookup(data_dir)
    fold = load_fold(source, "train", lookup)
    seed = SOURCE_SEEDS[source]
    shuffled = fold.take(np.random.default_rng(seed).permutation(len(fold)))
    return cycle(shuffled, count, ink, seed, source_files(source, lookup), cache)


def pen_digits(writers: Sequence[int], renders: int, data_dir: str | None = None,
               cache: Path | None = None, ink: float = 0.0) -> Extra:
    """The pen digits of `writers`, each drawn `renders` times; refuses the benchmark's writers."""
    seen = sorted(set(writers) & set(BENCHMARK_WRITERS))
    if seen:
        raise DigitnetError(f"pen writers {seen} are the real-handwriting benchmark's: "
                            "training on them would void its figure")
    lookup = Lookup(data_dir)
    fold = pendigits_of(writers, "train", lookup)
    if len(fold) == 0:
        raise DigitnetError(f"pendigits: none of the writers {list(writers)} is in it")
    return cycle(fold, renders * len(fold), ink, PEN_SEED, source_files("pendigits", lookup),
                 cache)


def negatives(count: int, data_dir: str | None = None,
              cache: Path | None = None) -> tuple[Extra, Extra]:
    """`count` drawings that are not digits: (the first of Omniglot's train split, generated
    ones), GENERATED_SHARE of them generated unless Omniglot's split runs out."""
    lookup = Lookup(data_dir)
    omniglot = load_fold("omniglot", "train", lookup)
    wanted = min(count - round(GENERATED_SHARE * count), len(omniglot))
    drawn = cycle(omniglot.take(np.arange(wanted)), wanted, 0.0, NEGATIVE_SEED,
                  source_files("omniglot", lookup), cache)
    generated = count - len(drawn)
    style = replace(TRAINING_SCRIBBLES, kinds=TRAINING_KINDS)

    def draw_generated() -> Extra:
        made = generate_non_digits(generated, NEGATIVE_SEED + 1, style)
        kinds = np.array([g.kind for g in made], str)
        return Extra(to_images(g.sketch for g in made),
                     np.full(generated, NOT_A_DIGIT, np.int64), kinds)

    key = f"generated {generated} {NEGATIVE_SEED} {style}"
    return drawn, cached(key, draw_generated, cache)


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
                return Extra(stored["images"], stored["labels"], stored["groups"], files)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file is drawn again and replaced
    extra = draw()

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, images=extra.images, labels=extra.labels.astype(np.int64),
                     groups=extra.groups.astype(str), names=np.array(list(extra.files), str),
                     md5s=np.array(list(extra.files.values()), str))

    try:
        atomic_write(path, write)
    except OSError as e:
        print(f"warning: cannot cache {path} ({e.strerror or e})", file=sys.stderr)
    return extra
