"""Weights files: a state dict plus the typed metadata needed to rebuild and trust the model.

A file is a plain dict, so it loads with `torch.load(weights_only=True)` (no pickled code runs):
    format, format_version, model, config (the model's constructor arguments), state_dict,
    metadata (a WeightsMetadata as a plain dict).
Version 1 files (written before the metadata was typed: the shipped weights of 2026-11 and the
fine-tunes of that time) still load: `legacy_metadata` reads their two shapes into this one.
Loading checks everything: the header, the model name and config, every field of the
metadata, and every tensor (finite, variances not negative, no layer all zeros).
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from torch import nn

from digitnet import DigitnetError
from digitnet.common.argtypes import (
    SEEDS,
    fraction,
    non_negative_float,
    non_negative_int,
    positive_int,
)
from digitnet.common.atomic import atomic_write
from digitnet.common.records import RecordError, check_fields, checked, from_plain, to_plain
from digitnet.common.wording import counted
from digitnet.model.networks import MODELS, check_config, create_model
from digitnet.train.config import FinetuneConfig, TrainConfig

WEIGHTS_FORMAT = "digitnet-weights"
WEIGHTS_FORMAT_VERSION = 2  # 1: before typed metadata, still read
LEGACY_TRANSFORM_VERSION = 1  # the only canvas transform version 1 files can have been made with


class WeightsError(DigitnetError):
    pass


@dataclass(frozen=True)
class DataSource:
    """Data a model learned from: a name, its files' checksums, and how many images it took."""

    name: str
    files: dict[str, str] = field(default_factory=dict)  # file name -> md5
    images: int = checked(0, non_negative_int)
    writers: tuple[int, ...] = ()  # pen data: the writers it took (digitnet.data.pendigits)

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass(frozen=True)
class EpochRecord:
    """One epoch of training: a line of RUN/metrics.jsonl and of a weights file's history."""

    epoch: int = checked(dataclasses.MISSING, positive_int)
    train_loss: float = checked(dataclasses.MISSING, non_negative_float)
    train_acc: float = checked(dataclasses.MISSING, fraction)
    val_acc: float = checked(dataclasses.MISSING, fraction)
    lr: float = checked(0.0, non_negative_float)
    images_per_s: float = checked(0.0, non_negative_float)
    elapsed_s: float = checked(0.0, non_negative_float)

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass(frozen=True)
class FinetuneRecord:
    """What fine-tuning on a person's samples did, and its figures before and after."""

    config: FinetuneConfig
    samples_dir: str
    samples_per_digit: tuple[int, ...]
    trained_per_digit: tuple[int, ...]
    held_aside_per_digit: tuple[int, ...]
    held_aside_acc_before: float = checked(dataclasses.MISSING, fraction)
    held_aside_acc_after: float = checked(dataclasses.MISSING, fraction)
    mnist_test_images: int = checked(dataclasses.MISSING, non_negative_int)
    mnist_test_acc_before: float = checked(dataclasses.MISSING, fraction)
    mnist_test_acc_after: float = checked(dataclasses.MISSING, fraction)
    replay: int = checked(0, non_negative_int)  # MNIST digits mixed in per sample
    augment: dict[str, float | tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass(frozen=True)
class WeightsMetadata:
    """Where a model's weights came from and how good they are: one shape for train and finetune.

    `base` is the metadata of the weights a run started from (train --init, finetune), so a
    file carries its whole lineage. `reject_threshold` is for a model that can say "not a digit".
    """

    transform_version: int = checked(LEGACY_TRANSFORM_VERSION, positive_int)
    date: str = ""
    torch: str = ""
    learned_from: tuple[DataSource, ...] = ()
    # the seed that picked the held-out MNIST validation images
    validation_seed: int | None = checked(None, SEEDS)
    val_acc: float | None = checked(None, fraction)
    test_acc: float | None = checked(None, fraction)
    best_epoch: int | None = checked(None, positive_int)  # the exported epoch of `history`
    train_time_s: float | None = checked(None, non_negative_float)
    history: tuple[EpochRecord, ...] = ()  # this run's epochs; the base's are in `base`
    training: TrainConfig | None = None
    augment: dict[str, float | tuple[float, float]] | None = None
    finetune: FinetuneRecord | None = None
    base: WeightsMetadata | None = None
    base_path: str | None = None
    reject_threshold: float | None = checked(None, fraction)

    def __post_init__(self) -> None:
        check_fields(self)
        if self.best_epoch is not None and self.history and self.best_epoch > len(self.history):
            raise RecordError(f"best_epoch {self.best_epoch} is beyond the "
                              f"{counted(len(self.history), 'epoch')} of history")

    def trained(self) -> WeightsMetadata:
        """The metadata of the last training run with epochs: this one, or a fine-tune's base."""
        if not self.history and self.base is not None:
            return self.base.trained()
        return self

    def full_history(self) -> tuple[tuple[EpochRecord, ...], int]:
        """(every epoch of the runs that made these weights, oldest first; epochs before the last).

        A run started with --init continues its base's history, renumbered, so that a fine-tune's
        curves continue the ones it started from; fine-tuning on samples adds no epochs.
        """
        if self.base is None:
            return self.history, 0
        if not self.history:
            return self.base.full_history()
        earlier, _ = self.base.full_history()
        own = tuple(dataclasses.replace(r, epoch=len(earlier) + r.epoch) for r in self.history)
        return earlier + own, len(earlier)


@dataclass(frozen=True)
class WeightsInfo:
    """Everything a weights file says besides its tensors."""

    model: str
    config: dict[str, Any]  # the model's constructor arguments (networks.check_config)
    metadata: WeightsMetadata


def save_weights(path: str | os.PathLike[str], info: WeightsInfo, model: nn.Module, *,
                 replace: bool = True) -> Path:
    """Write atomically; with replace=False an existing file is never replaced (FileExistsError)."""
    payload = {
        "format": WEIGHTS_FORMAT,
        "format_version": WEIGHTS_FORMAT_VERSION,
        "model": info.model,
        "config": dict(info.config),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "metadata": to_plain(info.metadata),
    }
    return atomic_write(path, lambda tmp: torch.save(payload, tmp), replace=replace)


def load_weights(path: str | os.PathLike[str]) -> tuple[nn.Module, WeightsInfo]:
    """Rebuild the model a weights file describes (eval mode, CPU), after checking it all."""
    path = Path(path)
    payload = _read_payload(path)
    try:
        info = read_info(payload)
    except (RecordError, ValueError) as e:
        raise WeightsError(f"{path}: {e}") from None
    state = payload.get("state_dict")
    if not isinstance(state, dict):
        raise WeightsError(f"{path}: state_dict is missing")
    check_tensors(state, path)
    check_shapes(info, state, path)
    model = create_model(info.model, **info.config)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        detail = str(e).strip().splitlines()[0]
        raise WeightsError(f"{path}: weights do not match the {info.model!r} architecture "
                           f"({detail[:200]})") from None
    return model.eval(), info


def _read_payload(path: Path) -> dict[str, Any]:
    if not path.is_file():
        problem = "not a file" if path.exists() else "weights file not found"
        raise WeightsError(f"{path}: {problem}")
    return load_tagged(path, WEIGHTS_FORMAT, "weights file", WeightsError)


# What a file is, by its first bytes, when it is not one that torch.save wrote.
FILE_SIGNATURES = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
                   (b"GIF8", "a GIF image"), (b"BM", "a BMP image"), (b"II*\x00", "a TIFF image"),
                   (b"MM\x00*", "a TIFF image"), (b"RIFF", "a WebP image or other RIFF file"),
                   (b"%PDF", "a PDF document"), (b"\x1f\x8b", "a gzip file"))
TORCH_SIGNATURES = (b"PK\x03\x04", b"\x80")  # torch.save's zip format; its older pickle format
# digitnet's files, as the one a user gave instead of another is named to them
FILE_KINDS = {WEIGHTS_FORMAT: "a digitnet weights file",
              "digitnet-checkpoint": "a training checkpoint (train exports its weights as "
                                     "RUN/MODEL.pt)"}


def load_tagged(path: Path, format_name: str, kind: str,
                error_type: type[DigitnetError]) -> dict[str, Any]:
    """A file torch.save wrote as a dict with this "format" header (weights files, checkpoints),
    loaded without running pickled code; `error_type` with one line, in our words, for anything
    else: what the file is, never torch's advice on loading it less safely."""
    unreadable = f"{path}: not a readable {kind}"
    try:
        with path.open("rb") as file:
            head = file.read(8)
    except OSError as e:
        raise error_type(f"{unreadable} ({e.strerror or e})") from None
    if not head.startswith(TORCH_SIGNATURES):
        what = next((name for magic, name in FILE_SIGNATURES if head.startswith(magic)),
                    "not a file that PyTorch saved")
        raise error_type(f"{unreadable}: it is {what if head else 'empty'}")
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols it does not expect
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "weights only" not in str(e).lower():
            raise error_type(f"{unreadable}: it is damaged") from None
        raise error_type(f"{unreadable}: it holds Python objects besides tensors, which digitnet "
                         "never loads (they could run code)") from None
    except Exception:  # torch raises many types for a damaged file
        raise error_type(f"{unreadable}: it is damaged or cut short (an incomplete copy or "
                         "download?)") from None
    found = payload.get("format") if isinstance(payload, dict) else None
    if found != format_name:
        other = FILE_KINDS.get(found) if isinstance(found, str) else None
        raise error_type(f"{path}: not a digitnet {kind}: it is "
                         f"{other or f'a PyTorch file without the {format_name!r} header'}")
    return payload


def read_info(payload: dict[str, Any]) -> WeightsInfo:
    """A weights file's dict without its tensors, checked: RecordError or ValueError name the
    bad field."""
    version = payload.get("format_version")
    if version not in (1, WEIGHTS_FORMAT_VERSION):
        raise RecordError(f"weights format version {version!r} is not supported "
                          f"(this digitnet reads 1 and {WEIGHTS_FORMAT_VERSION})")
    name, config = payload.get("model"), payload.get("config")
    if not isinstance(name, str) or name not in MODELS:
        raise RecordError(f"unknown model {name!r} (known: {', '.join(MODELS)})")
    if not isinstance(config, dict):
        raise RecordError(f"config must be a dict, got {config!r}")
    check_config(name, config)
    metadata = payload.get("metadata")
    if version == 1:
        metadata = legacy_metadata(metadata)
    return WeightsInfo(name, config, from_plain(WeightsMetadata, metadata, "metadata"))


def check_tensors(state: dict[Any, Any], path: Path) -> None:
    """Refuse what would give NaN or meaningless answers: non-finite values, negative
    BatchNorm variances, or a layer whose weights are all zero (then every image gets the
    same answer)."""
    for key, tensor in state.items():
        if not isinstance(key, str) or not isinstance(tensor, torch.Tensor):
            raise WeightsError(f"{path}: state_dict entry {key!r} is not a named tensor")
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise WeightsError(f"{path}: {key} holds NaN or infinite values (damaged weights)")
        if key.endswith("running_var") and bool((tensor < 0).any()):
            raise WeightsError(f"{path}: {key} holds a negative variance (damaged weights)")
        if key.endswith(".weight") and tensor.numel() and not bool(tensor.any()):
            raise WeightsError(f"{path}: {key} is all zeros: the model would answer the same for "
                               "every image (wiped or never-trained weights)")


def check_shapes(info: WeightsInfo, state: dict[str, torch.Tensor], path: Path) -> None:
    """Refuse tensors that do not fit the architecture before building it for real: a config of a
    few bytes can ask for gigabytes of weights (the model built on the meta device allocates
    nothing)."""
    with torch.device("meta"):
        expected = create_model(info.model, **info.config).state_dict()
    problems = [f"{key} is missing" for key in expected if key not in state]
    problems += [f"{key} is not in the model" for key in state if key not in expected]
    problems += [f"{key} is {list(state[key].shape)} in the file, {list(meta.shape)} in the model"
                 for key, meta in expected.items()
                 if key in state and state[key].shape != meta.shape]
    if problems:
        raise WeightsError(f"{path}: weights do not match the {info.model!r} architecture "
                           f"({problems[0]})")


def utc_now() -> str:
    """The time to date metadata with: UTC, ISO 8601, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def first_line(error: BaseException) -> str:
    """An exception's first line without terminal colours, at most 200 characters, with its
    type when the text alone says nothing (torch answers a text file with KeyError '1748')."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip()  # torch colours some messages
    line = text.splitlines()[0] if text else ""
    if not any(c.isalpha() for c in line):
        line = f"{type(error).__name__} {line}".strip()
    return line[:200]


# --- version 1 files ------------------------------------------------------------------------

# The flags that did not exist yet when a version 1 file's run was made did what these values do.
LEGACY_TRAIN_DEFAULTS = {"ema": 0.0, "restroke": 0.0, "continental": 0.0, "select": "val",
                         "blend": 1.0}


def legacy_metadata(meta: object) -> dict[str, Any]:
    """A version 1 file's metadata (train's or finetune's shape) as a plain WeightsMetadata dict."""
    if not isinstance(meta, dict):
        raise RecordError(f"metadata must be a dict, got {meta!r:.60}")
    if "finetune" in meta:
        return _legacy_finetune(meta)
    train_args = _dict(meta.get("train_args"), "metadata.train_args")
    init = _dict(meta.get("init"), "metadata.init")
    return {
        **{k: meta[k] for k in ("transform_version", "date", "torch", "val_acc", "test_acc",
                                "best_epoch", "train_time_s", "history", "augment") if k in meta},
        "learned_from": [{"name": "mnist", "files": meta["mnist_md5"]}] if "mnist_md5" in meta
        else [],
        "validation_seed": train_args.get("seed"),
        "training": _legacy_training(train_args) if train_args else None,
        "base": _legacy_init(init) if init else None,
        "base_path": init.get("path"),
    }


def _legacy_training(train_args: dict[str, Any]) -> dict[str, Any]:
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    given = {k: v for k, v in train_args.items() if k in fields and not (k == "out" and v is None)}
    return {**LEGACY_TRAIN_DEFAULTS, **given}


def _legacy_init(init: dict[str, Any]) -> dict[str, Any]:
    """train --init recorded its start as {path, test_acc, val_acc, train_args, date, history}."""
    train_args = _dict(init.get("train_args"), "metadata.init.train_args")
    return {
        **{k: init[k] for k in ("test_acc", "val_acc", "date", "history") if k in init},
        "validation_seed": train_args.get("seed"),
        "training": _legacy_training(train_args) if train_args else None,
    }


def _legacy_finetune(meta: dict[str, Any]) -> dict[str, Any]:
    """finetune wrote {transform_version, date, finetune: its record, base: the base's metadata}."""
    record = _dict(meta["finetune"], "metadata.finetune")
    base = legacy_metadata(meta["base"]) if meta.get("base") is not None else None
    kept = ("epochs", "lr", "holdout", "seed")
    config: dict[str, Any] = {k: record[k] for k in kept if k in record}
    config.update(samples=record.get("samples_dir"), weights=record.get("base_weights"))
    return {
        **{k: meta[k] for k in ("transform_version", "date") if k in meta},
        "torch": record.get("torch", ""),
        "learned_from": base["learned_from"] if base else [],
        "validation_seed": base["validation_seed"] if base else None,
        "finetune": {**record, "config": config},
        "base": base,
        "base_path": record.get("base_weights"),
    }


def _dict(value: object, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(f"{name} must be a dict, got {value!r:.60}")
    return value
