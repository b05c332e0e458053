"""Typed configs for train, finetune and evaluate, and the command-line flags that build them.

Torch-free, so `digitnet train --help` needs no torch. Each field is declared once: its
default, its allowed range (an argparse type from digitnet.common.argtypes, checked for the flag and
again for a config made in code or read from a checkpoint) and its help. `add_arguments`
turns a config class into flags, `from_args` the parsed flags into a config; the library
(`train.train`, `finetune.finetune`, `evaluate.evaluate`) takes only configs.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
from typing import Any, TypeVar

from digitnet.common.argtypes import (
    NO_REJECT_HELP,
    SEEDS,
    float_range,
    fraction,
    int_range,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
)
from digitnet.common.records import Parse, RecordError, check_fields, checked
from digitnet.model.registry import DROPOUT, MODEL_NAMES

C = TypeVar("C")

DEVICES = ("auto", "cpu", "cuda", "mps")
WIDTHS = int_range(1, 1024)
PEN_FOLDS = int_range(0, 4)  # digitnet.data.pendigits.writer_folds' five; fold 0 is the benchmark's
MIN_LIMIT = 100  # --limit below this leaves too few images to hold out a validation tenth
DATA_HELP = "folder with the MNIST .gz files (default: $DIGITNET_DATA or the user cache)"


def option(default: Any, help: str, parse: Parse | None = None, *,
           choices: tuple[str, ...] | None = None, metavar: str | None = None,
           flag: str | None = None) -> Any:
    """A config field that is also a command-line flag (`--field-name` unless `flag` says)."""
    return checked(default, parse, help=help, choices=choices, metavar=metavar, flag=flag)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Train a registered CNN on MNIST, and optionally real pen digits and drawings that are not
    digits: AdamW with a one-cycle schedule, batch augmentation, an optional weight EMA. The best
    epoch on 5,000 held-out MNIST training images is exported to OUT/MODEL.pt with its metadata;
    the test set is evaluated once, for the record. A checkpoint after every epoch lets --resume
    continue a killed run exactly. A folder that holds a run is
    never trained into again without --resume. (Its checkpoint and weights store this config.)
    """

    model: str = option("simple", "the network to train", choices=MODEL_NAMES)
    epochs: int = option(15, "passes over the training images", positive_int)
    batch_size: int = option(128, "images per training step", positive_int)
    lr: float = option(3e-3, "peak learning rate of the one-cycle schedule", positive_float)
    weight_decay: float = option(0.05, "AdamW's decoupled weight decay", non_negative_float)
    dropout: float | None = option(None, "override the model's dropout", DROPOUT)
    width: int | None = option(None, "override the model's width: the channels of its first "
                               "layer (32), doubled at each stage", WIDTHS, metavar="CHANNELS")
    ema: float = option(0.0, "evaluate and export an exponential moving average of the weights "
                        "with this decay (e.g. 0.999); 0: off",
                        float_range(0, 1, high_inclusive=False), metavar="DECAY")
    seed: int = option(0, "seeds the run and picks the validation images", SEEDS)
    augment: bool = option(True, "train on plain MNIST, without augmentation", flag="--no-augment")
    restroke: float = option(0.5, "share of digits redrawn from their skeleton with a round brush, "
                             "like mouse drawings", fraction, metavar="P")
    continental: float = option(0.0, "share of 0s, 1s, 4s, 7s and 9s drawn the continental way: "
                                "slashes, flags, feet, bars, hooks, open 4s (needs --restroke)",
                                fraction, metavar="P")
    init: str | None = option(None, "start from these weights (same --model and --seed) instead of "
                              "from scratch", metavar="WEIGHTS")
    select: str = option("val", "export the epoch with the best validation accuracy, or the last "
                         "one (for fine-tunes that teach what MNIST's validation images cannot "
                         "measure, such as --continental)", choices=("val", "last"))
    blend: float = option(1.0, "with --init: export SHARE of the fine-tuned weights plus the rest "
                          "of the --init weights (WiSE-FT); 1: the fine-tuned weights alone",
                          float_range(0, 1, low_inclusive=False), metavar="SHARE")
    distill: float = option(0.0, "with --init: on MNIST's training images, also match the --init "
                            "model's outputs with this weight (learning without forgetting); "
                            "0: off", non_negative_float, metavar="W")
    limit: int = option(0, "use only the first N training images (0: all; else at least "
                        f"{MIN_LIMIT})", non_negative_int, metavar="N")
    pen: int = option(0, "also learn from the real pen digits of pendigits' training writers "
                      "(never the real-handwriting benchmark's), each drawn this many times the "
                      "app's way; 0: none", non_negative_int, metavar="RENDERS")
    pen_hold_out: int = option(0, "with --pen: leave out the writers of this tuning fold of the "
                               "training writers (1-4 of digitnet.data.pendigits.writer_folds), to "
                               "tune how numbers are read on writers the model never saw "
                               "(bench/written_numbers.py --fold); 0: learn them all",
                               PEN_FOLDS, metavar="FOLD")
    unipen: int = option(0, "also learn from the real pen digits of UNIPEN's training collections "
                         "(digitnet.data.sources), each drawn this many times; 0: none",
                         non_negative_int, metavar="RENDERS")
    cvl: int = option(0, "also learn from the scanned digits of CVL's training writers (never its "
                      "tuning or validation writers), each this many times; 0: none",
                      non_negative_int, metavar="REPEATS")
    ink: float = option(0.0, "share of the pen digits and letters written in ink on a scanned page "
                        "(digitnet.data.ink) instead of drawn on the app's canvas", fraction,
                        metavar="P")
    negatives: int = option(0, "also learn from N drawings that are not digits (Omniglot's train "
                            "split, a fifth generated scribbles, shapes and letters), their ten "
                            "outputs pulled towards uniform, and store a reject threshold; 0: none",
                            non_negative_int, metavar="N")
    letters: int = option(0, "also learn from N letters and symbols of UNIPEN's training "
                          "collections as not digits (never the digit-like ones: O, l, S, ...)",
                          non_negative_int, metavar="N")
    doodles: int = option(0, "also learn from N Quick, Draw! doodles of its training categories as "
                          "not digits (never the digit-like ones: circle, line, ...)",
                          non_negative_int, metavar="N")
    outlier_weight: float = option(0.5, "weight of that pull towards uniform against the digits' "
                                   "loss (outlier exposure)", non_negative_float, metavar="W")
    reject_keep: float = option(0.997, "with negatives: the reject threshold keeps this share of "
                                "the validation digits, and of the tuning writers' digits of each "
                                "source learnt from", float_range(0.5, 1), metavar="SHARE")
    epoch_images: int = option(0, "images per epoch, drawn afresh from all the training images "
                               "each epoch; 0: all of them", non_negative_int, metavar="N")
    data_dir: str | None = option(None, DATA_HELP, metavar="DIR")
    out: str = option("runs/latest", "run folder: checkpoint, metrics.jsonl, exported weights",
                      metavar="DIR")
    device: str = option("auto", "where to train", choices=DEVICES)
    test: bool = option(True, "skip the final evaluation on the MNIST test set", flag="--no-test")

    def __post_init__(self) -> None:
        check_fields(self)
        if self.blend < 1 and not self.init:
            raise RecordError("blend below 1 needs --init weights to blend with", "blend")
        if self.distill > 0 and not self.init:
            raise RecordError("distill needs --init weights to learn from", "distill")
        for name in ("dropout", "width"):
            if getattr(self, name) is not None and self.init:
                raise RecordError(f"{name} cannot change the model of --init weights", name)
        if self.continental > 0 and not (self.augment and self.restroke > 0):
            raise RecordError("continental needs --restroke above 0 (and augmentation on)",
                              "continental")
        if self.ink > 0 and not (self.pen or self.unipen or self.letters):
            raise RecordError("ink needs pen data to write: --pen, --unipen or --letters", "ink")
        if self.pen_hold_out and not self.pen:
            raise RecordError("pen_hold_out needs --pen digits to hold writers out of",
                              "pen_hold_out")
        if 0 < self.limit < MIN_LIMIT:
            raise RecordError(f"limit must be 0 (all images) or at least {MIN_LIMIT}, "
                              f"got {self.limit}", "limit")

    @property
    def learns_negatives(self) -> bool:
        """Whether drawings that are not digits are learnt (and a reject threshold stored)."""
        return bool(self.negatives or self.letters or self.doodles)

    def differences(self, other: TrainConfig) -> list[str]:
        """What differs in `other` among the settings that must match to resume a run, by the
        flags that set them: ["--batch-size 32, now 64", "--no-augment not given, now given"]."""
        free = {"data_dir", "out", "device", "test"}  # where and how, not what is trained
        changed = [field for field in dataclasses.fields(self) if field.name not in free
                   and getattr(self, field.name) != getattr(other, field.name)]
        return [f"{flag_name(field)} {flag_value(field, self)}, now {flag_value(field, other)}"
                for field in changed]


@dataclasses.dataclass(frozen=True)
class FinetuneConfig:
    """Teach a model your handwriting: fine-tune it on the samples you saved in the app (keys
    0-9), mixed with MNIST digits so that it forgets nothing, holding part of your samples
    aside to measure on. Writes a new weights file; never over an existing one.
    """

    samples: str | None = option(None, "samples folder (default: $DIGITNET_SAMPLES or the "
                                 "per-user one)", metavar="DIR")
    weights: str | None = option(None, "weights to start from (default: the best shipped model)",
                                 metavar="FILE")
    out: str | None = option(None, "new weights file (default: a new file in the per-user weights "
                             "folder)", metavar="FILE")
    # 20 epochs left MNIST measurably worse, 40 did not (bench/finetune_styles.py)
    epochs: int = option(40, "passes over the samples to learn from", positive_int)
    lr: float = option(1e-3, "peak learning rate, annealed to zero", positive_float)
    holdout: float = option(0.2, "share of each digit's samples held aside to measure on",
                            float_range(0, 1, low_inclusive=False, high_inclusive=False))
    data_dir: str | None = option(None, DATA_HELP, metavar="DIR")
    mnist_limit: int = option(0, "measure on the first N MNIST test images only (0: all)",
                              non_negative_int, metavar="N")
    seed: int = option(0, "seeds the held-aside split, the replay and the augmentation", SEEDS)

    def __post_init__(self) -> None:
        check_fields(self)


@dataclasses.dataclass(frozen=True)
class EvaluateConfig:
    """Evaluate a weights file on the MNIST test set: accuracy, per-class accuracy, the most
    frequent confusions, calibration (ECE), the digits its reject threshold calls "not a digit"
    and the accuracy with those counted as errors, and reports: confusion matrix, per-class
    accuracy, the misclassified digits, a reliability diagram and the training curves.
    """

    weights: str | None = option(None, "weights file (default: the best shipped model)",
                                 metavar="FILE")
    data_dir: str | None = option(None, DATA_HELP, metavar="DIR")
    out: str | None = option(None, "folder for the PNG reports, written with --json too "
                             "(default: reports/MODEL)", metavar="DIR")
    metrics: str | None = option(None, "a run's metrics.jsonl for the training curves (default: "
                                 "the weights file's own history)", metavar="FILE")
    limit: int = option(0, "use only the first N test images (0: all)", non_negative_int,
                        metavar="N")
    reject: bool = option(True, NO_REJECT_HELP, flag="--no-reject")

    def __post_init__(self) -> None:
        check_fields(self)


def flag_name(field: dataclasses.Field[Any]) -> str:
    return field.metadata.get("flag") or "--" + field.name.replace("_", "-")


def flag_value(field: dataclasses.Field[Any], config: object) -> str:
    """`field`'s value in `config` as its flag says it: a switch is given or not."""
    value = getattr(config, field.name)
    if isinstance(field.default, bool):  # a switch (--no-augment) turns its default off
        return "not given" if value == field.default else "given"
    return str(value)


def description(config_type: type) -> str:
    """The command's description for --help: the config's docstring."""
    return inspect.cleandoc(config_type.__doc__ or "")


def add_arguments(parser: argparse.ArgumentParser, config_type: type) -> None:
    """One flag per field of `config_type`, with its default, range and help."""
    for field in dataclasses.fields(config_type):
        spec = field.metadata
        if isinstance(field.default, bool):
            action = "store_false" if field.default else "store_true"
            parser.add_argument(flag_name(field), dest=field.name, action=action, help=spec["help"])
            continue
        default = "" if field.default is None else " (default: %(default)s)"
        parser.add_argument(flag_name(field), dest=field.name, default=field.default,
                            type=spec["parse"] or str, choices=spec["choices"],
                            metavar=spec["metavar"], help=spec["help"] + default)


def from_args(config_type: type[C], args: argparse.Namespace) -> C:
    """The config the parsed flags describe (flags of other commands are ignored); an error
    names the flag ("--limit must be ..."), not the field."""
    fields = {field.name: field
              for field in dataclasses.fields(config_type)}  # type: ignore[arg-type]
    try:
        return config_type(**{name: getattr(args, name) for name in fields})
    except RecordError as e:
        if e.field not in fields:
            raise
        raise e.renamed(flag_name(fields[e.field])) from None
