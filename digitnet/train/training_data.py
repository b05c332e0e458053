"""What a training run learns from: MNIST's training images split by seed into what is trained
on and what is held out, and the pen digits and drawings that are not digits asked for beside
them (the train folds of registered sources, drawn by digitnet.data.mixture), each recorded as
the sources `learned_from` names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from digitnet.data import mixture
from digitnet.data.mnist import MNIST_FILES, load_mnist, validation_split
from digitnet.data.pendigits import PENDIGITS_SOURCE, TRAINING_WRITERS, writer_folds
from digitnet.model.weights import DataSource
from digitnet.train.augment import add_continental_marks, skeletons_2x
from digitnet.train.config import TrainConfig
from digitnet.train.trainer import to_tensor

WRITER_SOURCES = (PENDIGITS_SOURCE, "cvl")  # sources whose writers learned_from lists by number


@dataclass
class TrainData:
    """MNIST's training images split by seed into what is trained on and what is held out; the
    pen digits and negatives asked for join what is trained on."""

    train_x: torch.Tensor  # float [N, 1, 28, 28]
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    skeletons: torch.Tensor | None  # for redrawing digits (--restroke)
    sources: tuple[DataSource, ...]
    mnist_rows: int  # the first rows of train_x are MNIST's; extras follow


def load_data(config: TrainConfig) -> TrainData:
    images, labels = load_mnist("train", config.data_dir)
    if config.limit:
        images, labels = images[: config.limit], labels[: config.limit]
    train, val = validation_split(len(images), config.seed)
    train_y = torch.from_numpy(labels[train])
    skeletons = skeletons_2x(images[train]) if config.augment and config.restroke > 0 else None
    if skeletons is not None and config.continental > 0:
        skeletons = add_continental_marks(skeletons, train_y, config.continental, config.seed)
    mnist = DataSource("mnist", dict(MNIST_FILES), images=len(train))
    data = TrainData(to_tensor(images[train]), train_y, to_tensor(images[val]),
                     torch.from_numpy(labels[val]), skeletons, (mnist,), len(train))
    return add_extras(data, extras(config))


def extras(config: TrainConfig) -> list[tuple[tuple[DataSource, ...], mixture.Extra]]:
    """The digits and negatives asked for beside MNIST, each with the sources it names."""
    found = []
    if config.pen:
        held_out = writer_folds()[config.pen_hold_out].heldout if config.pen_hold_out else ()
        writers = tuple(w for w in TRAINING_WRITERS if w not in held_out)
        found.append((PENDIGITS_SOURCE, mixture.pen_digits(writers, config.pen, config.data_dir,
                                                           ink=config.ink)))
    if config.unipen:
        found.append(("unipen-digits", mixture.renders_of("unipen-digits", config.unipen,
                                                          config.ink, config.data_dir)))
    if config.cvl:
        found.append(("cvl", mixture.renders_of("cvl", config.cvl, data_dir=config.data_dir)))
    if config.negatives:
        omniglot, generated = mixture.negatives(config.negatives, config.data_dir)
        found += [("omniglot", omniglot), ("scribbles", generated)]
    if config.letters:
        found.append(("unipen-letters", mixture.some_of("unipen-letters", config.letters,
                                                        config.ink, config.data_dir)))
    if config.doodles:
        found.append(("quickdraw", mixture.some_of("quickdraw", config.doodles,
                                                   data_dir=config.data_dir)))
    return [(data_sources(name, extra), extra) for name, extra in found if len(extra)]


def data_sources(name: str, extra: mixture.Extra) -> tuple[DataSource, ...]:
    """What `learned_from` records of a source: its writers where they are numbered (pendigits,
    CVL), one entry per collection for UNIPEN ('unipen-digits/apa'), else the source alone."""
    if name.startswith("unipen"):
        providers, counts = np.unique([g.split("/")[0] for g in extra.groups.tolist()],
                                      return_counts=True)
        return tuple(DataSource(f"{name}/{provider}", extra.files, int(count))
                     for provider, count in zip(providers.tolist(), counts.tolist(), strict=True))
    writers = tuple(sorted({int(g) for g in extra.groups})) if name in WRITER_SOURCES else ()
    return (DataSource(name, extra.files, len(extra), writers),)


def add_extras(data: TrainData,
               found: list[tuple[tuple[DataSource, ...], mixture.Extra]]) -> TrainData:
    """`data` with these images among the trained ones. They are drawn with a round brush
    already, so their skeletons are empty: --restroke leaves them as they are."""
    if not found:
        return data
    images = [to_tensor(extra.images) for _, extra in found]
    labels = [torch.from_numpy(extra.labels.astype(np.int64)) for _, extra in found]
    skeletons = data.skeletons
    if skeletons is not None:
        count = sum(len(extra) for _, extra in found)
        skeletons = torch.cat([skeletons, skeletons.new_zeros((count, *skeletons.shape[1:]))])
    return replace(data, train_x=torch.cat([data.train_x, *images]),
                   train_y=torch.cat([data.train_y, *labels]), skeletons=skeletons,
                   sources=data.sources + tuple(s for sources, _ in found for s in sources))
