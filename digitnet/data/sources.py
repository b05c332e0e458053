"""Every data source in one typed registry: what it holds, where it lies, how it is split, and
how its drawings reach the network.

Each source is split three ways, always by writer (or by whole collection, or by category),
never by sample:

- **train**: what models learn from;
- **tune**: what chooses everything else (mixture, capacity, schedule, the exported epoch, the
  reject threshold); no shipped model learns from it, so it stays a fair judge of choices;
- **benchmark**: reported once, at the end; never used to choose anything.

`SOURCES` names each source's folds; docs/data.md is its data card (licences, citations).
A fold loads as a `Fold`: labels (a digit, or NOT_A_DIGIT), the group each item came from
(writer, provider/writer, category or kind), what was drawn, and the drawings themselves in
their own medium (digitnet.data.folds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from digitnet import DigitnetError
from digitnet.common.paths import DataSet
from digitnet.data.cvl import CVL_DATA, load_cvl
from digitnet.data.folds import (
    NOT_A_DIGIT,
    Fold,
    Scans,
    Sketches,
    Trajectories,
)
from digitnet.data.mnist import load_mnist, validation_split
from digitnet.data.omniglot import OMNIGLOT_DATA, load_omniglot
from digitnet.data.pendigits import (
    PENDIGITS_DATA,
    DataSourceRecord,
    load_pendigits,
    seen_benchmark_writers,
    writer_folds,
)
from digitnet.data.quickdraw import QUICKDRAW_DATA, load_quickdraw
from digitnet.data.scribbles import (
    BENCHMARK_SCRIBBLES,
    KINDS,
    TRAINING_SCRIBBLES,
    generate_non_digits,
)
from digitnet.data.unipen import UNIPEN_DATA, Characters, load_unipen

FOLDS = ("train", "tune", "benchmark")

# pendigits: writer_folds() cuts its 30 writers into five folds of six; fold 0 is the
# real-handwriting benchmark's (pendigits.BENCHMARK_WRITERS), fold 1 the tuning fold.
PENDIGITS_TUNING_FOLD = 1
# UNIPEN: whole collections. The benchmark's are CEDAR's (48 writers) and Montreal's; the
# tuning fold's are German (GMD) and Israeli (ART) collections, with continental hands.
UNIPEN_PROVIDERS = {
    "train": ("apa", "apb", "app", "syn", "val", "lou", "mot"),
    "tune": ("gmd", "art", "lav", "sie"),
    "benchmark": ("cea", "ceb", "ced", "uqb", "kai"),
}
# CVL: its validation writers are the benchmark; the tuning fold is CVL_TUNING_WRITERS of its
# 67 training writers, the first of a permutation of their sorted ids seeded with CVL_SEED.
CVL_SEED, CVL_TUNING_WRITERS = 2013, 13
# Quick, Draw!: by category; a permutation of the sorted categories seeded with QUICKDRAW_SEED,
# cut into these shares.
QUICKDRAW_SEED, QUICKDRAW_SHARES = 342, (0.6, 0.2, 0.2)
# Generated non-digits: each fold its own seed; the benchmark its own templates and ranges.
SCRIBBLE_SEEDS = {"train": 2001, "tune": 3001, "benchmark": 15}
SCRIBBLES_PER_KIND = 200  # of the tuning and benchmark folds
OMNIGLOT_SPLITS = {"train": "train", "tune": "valid", "benchmark": "test"}


class SourceError(DigitnetError):
    pass


@dataclass(frozen=True)
class Lookup:
    """Where the data lies and which MNIST training images are the tuning fold."""

    data_dir: str | None = None  # the MNIST folder; the others are looked for beside it
    validation_seed: int = 0


@dataclass(frozen=True)
class Source:
    """One registered source: what it holds, its file, and how a fold of it loads."""

    name: str
    title: str
    digits: bool  # holds digits (else drawings that are not digits)
    data: DataSet | None  # its file; None for MNIST (digitnet.data.mnist) and generated drawings
    load: Callable[[str, Lookup], Fold]  # (fold, lookup) -> the fold


def _labels(characters: np.ndarray) -> np.ndarray:
    """Characters -> their digit, or NOT_A_DIGIT."""
    return np.array([int(c) if c.isdigit() else NOT_A_DIGIT for c in characters], np.int64)


def _check_fold(fold: str) -> None:
    if fold not in FOLDS:
        raise SourceError(f"unknown fold {fold!r} (use {', '.join(FOLDS)})")


def load_mnist_fold(fold: str, lookup: Lookup) -> Fold:
    _check_fold(fold)
    images, labels = load_mnist("test" if fold == "benchmark" else "train", lookup.data_dir)
    if fold != "benchmark":
        train, tune = validation_split(len(images), lookup.validation_seed)
        chosen = train if fold == "train" else tune
        images, labels = images[chosen], labels[chosen]
    groups = np.full(len(labels), "mnist")
    return Fold("mnist", fold, labels, groups, labels.astype(str), Scans(images, False, True))


def pendigits_writers(fold: str) -> tuple[int, ...]:
    """The pendigits writers of a fold."""
    _check_fold(fold)
    folds = writer_folds()
    if fold == "benchmark":
        return folds[0].heldout
    if fold == "tune":
        return folds[PENDIGITS_TUNING_FOLD].heldout
    return tuple(sorted(set(folds[0].train) - set(folds[PENDIGITS_TUNING_FOLD].heldout)))


def pendigits_of(writers: Iterable[int], fold: str, lookup: Lookup) -> Fold:
    """The pendigits samples of these writers, as a fold named `fold`."""
    wanted = set(writers)
    samples = [s for s in load_pendigits(data_dir=lookup.data_dir) if s.writer in wanted]
    labels = np.array([s.label for s in samples], np.int64)
    return Fold("pendigits", fold, labels, np.array([str(s.writer) for s in samples]),
                labels.astype(str), Trajectories([s.strokes for s in samples]))


def load_pendigits_fold(fold: str, lookup: Lookup) -> Fold:
    return pendigits_of(pendigits_writers(fold), fold, lookup)


def _unipen_fold(name: str, fold: str, lookup: Lookup,
                 keep: Callable[[Characters], np.ndarray]) -> Fold:
    _check_fold(fold)
    characters = load_unipen(data_dir=lookup.data_dir)
    mine = np.isin(characters.provider, UNIPEN_PROVIDERS[fold]) & keep(characters)
    chosen = characters.where(mine)
    return Fold(name, fold, _labels(chosen.label), chosen.writer, chosen.label,
                Trajectories(chosen.strokes))


def load_unipen_digits(fold: str, lookup: Lookup) -> Fold:
    return _unipen_fold("unipen-digits", fold, lookup, lambda c: c.category == "digit")


def load_unipen_letters(fold: str, lookup: Lookup) -> Fold:
    return _unipen_fold("unipen-letters", fold, lookup,
                        lambda c: (c.category != "digit") & ~c.digit_like())


def load_unipen_digit_like(fold: str, lookup: Lookup) -> Fold:
    return _unipen_fold("unipen-digit-like", fold, lookup, Characters.digit_like)


def cvl_writers(fold: str, writers: np.ndarray, split: np.ndarray) -> np.ndarray:
    """bool [N]: the digits of a fold's CVL writers."""
    _check_fold(fold)
    if fold == "benchmark":
        return split == "valid"
    ids = np.random.default_rng(CVL_SEED).permutation(np.unique(writers[split == "train"]))
    tuning = np.isin(writers, ids[:CVL_TUNING_WRITERS])
    return (split == "train") & (tuning if fold == "tune" else ~tuning)


def load_cvl_fold(fold: str, lookup: Lookup) -> Fold:
    scans = load_cvl(data_dir=lookup.data_dir)
    chosen = scans.where(cvl_writers(fold, scans.writers, scans.split))
    return Fold("cvl", fold, chosen.labels, chosen.writers.astype(str), chosen.labels.astype(str),
                Scans(chosen.images, True))


def load_omniglot_fold(fold: str, lookup: Lookup) -> Fold:
    _check_fold(fold)
    drawings = load_omniglot(OMNIGLOT_SPLITS[fold], data_dir=lookup.data_dir)
    none = np.full(len(drawings), NOT_A_DIGIT, np.int64)
    split = np.full(len(drawings), OMNIGLOT_SPLITS[fold])
    return Fold("omniglot", fold, none, split, split, Trajectories(drawings))


def quickdraw_categories(fold: str, categories: np.ndarray) -> np.ndarray:
    """bool [N]: the drawings of a fold's categories."""
    _check_fold(fold)
    order = np.random.default_rng(QUICKDRAW_SEED).permutation(np.unique(categories))
    cuts = np.round(np.cumsum(QUICKDRAW_SHARES) * len(order)).astype(int)
    start = (0, *cuts)[FOLDS.index(fold)]
    return np.isin(categories, order[start : cuts[FOLDS.index(fold)]])


def _quickdraw_fold(name: str, fold: str, lookup: Lookup, digit_like: bool) -> Fold:
    doodles = load_quickdraw(data_dir=lookup.data_dir)
    mine = quickdraw_categories(fold, doodles.category) & (doodles.digit_like() == digit_like)
    chosen = doodles.where(mine)
    none = np.full(len(chosen.category), NOT_A_DIGIT, np.int64)
    return Fold(name, fold, none, chosen.category, chosen.category, Trajectories(chosen.strokes))


def load_quickdraw_fold(fold: str, lookup: Lookup) -> Fold:
    return _quickdraw_fold("quickdraw", fold, lookup, digit_like=False)


def load_quickdraw_digit_like(fold: str, lookup: Lookup) -> Fold:
    return _quickdraw_fold("quickdraw-digit-like", fold, lookup, digit_like=True)


def load_scribbles_fold(fold: str, lookup: Lookup, per_kind: int = SCRIBBLES_PER_KIND) -> Fold:
    _check_fold(fold)
    style = BENCHMARK_SCRIBBLES if fold == "benchmark" else TRAINING_SCRIBBLES
    made = generate_non_digits(per_kind * len(KINDS), SCRIBBLE_SEEDS[fold], style)
    kinds = np.array([m.kind for m in made])
    return Fold("scribbles", fold, np.full(len(made), NOT_A_DIGIT, np.int64), kinds, kinds,
                Sketches([m.sketch for m in made]))


SOURCES: dict[str, Source] = {s.name: s for s in (  # docs/data.md is their data card
    Source("mnist", "MNIST", True, None, load_mnist_fold),
    Source("pendigits", "UCI pendigits (training writers)", True, PENDIGITS_DATA,
           load_pendigits_fold),
    Source("unipen-digits", "UNIPEN digits", True, UNIPEN_DATA, load_unipen_digits),
    Source("cvl", "CVL Single Digit scans", True, CVL_DATA, load_cvl_fold),
    Source("omniglot", "Omniglot characters", False, OMNIGLOT_DATA, load_omniglot_fold),
    Source("unipen-letters", "UNIPEN letters and symbols", False, UNIPEN_DATA,
           load_unipen_letters),
    Source("unipen-digit-like", "UNIPEN letters and symbols that pass for digits", False,
           UNIPEN_DATA, load_unipen_digit_like),
    Source("quickdraw", "Quick, Draw! doodles", False, QUICKDRAW_DATA, load_quickdraw_fold),
    Source("quickdraw-digit-like", "Quick, Draw! doodles that pass for digits", False,
           QUICKDRAW_DATA, load_quickdraw_digit_like),
    Source("scribbles", "generated non-digits", False, None, load_scribbles_fold),
)}
DIGIT_SOURCES = tuple(name for name, s in SOURCES.items() if s.digits)


def load_fold(source: str, fold: str, lookup: Lookup | None = None) -> Fold:
    """One fold of a registered source."""
    if source not in SOURCES:
        raise SourceError(f"unknown source {source!r} (use {', '.join(SOURCES)})")
    return SOURCES[source].load(fold, lookup or Lookup())


def seen_groups(learned_from: Iterable[DataSourceRecord], fold: Fold) -> list[str]:
    """The groups of `fold` (writers, collections) that weights which learned from
    `learned_from` (their metadata's) have seen: a figure on them is no figure on unseen ones.

    pendigits and CVL entries list their writers (one that lists none counts as all of them);
    UNIPEN's name their collections ('unipen-digits/apa'); Omniglot's train split, Quick, Draw!'s
    train categories and generated drawings are learnt by their fold's definition alone.
    """
    learned = list(learned_from)
    groups = set(fold.groups.tolist())
    if fold.source == "pendigits":
        seen = seen_benchmark_writers(learned, tuple(int(g) for g in groups))
        return [str(w) for w in seen]
    if fold.source == "cvl":
        listed = [getattr(s, "writers", ()) for s in learned if s.name == "cvl"]
        writers = {str(w) for ids in listed for w in ids} if all(listed) else groups
        return sorted(groups & writers)
    if fold.source.startswith("unipen"):
        providers = {s.name.partition("/")[2] for s in learned if s.name.startswith("unipen")}
        return sorted(g for g in groups if g.partition("/")[0] in providers)
    return sorted(groups) if fold.fold == "train" and any(
        s.name == fold.source.removesuffix("-digit-like") for s in learned) else []
