"""Training checkpoints: all a run needs to continue exactly, written atomically after every
epoch and verified before `--resume` trusts them.

A checkpoint is a plain dict of tensors and plain values (`torch.load(weights_only=True)`):
    format, format_version, config (a TrainConfig), progress (RunProgress without its tensors),
    best_state, model, ema, optimizer, scheduler, rng.
A checkpoint of the format before this one is refused like any foreign file: one line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from digitnet import DigitnetError
from digitnet.common.atomic import atomic_write
from digitnet.common.records import RecordError, from_plain, to_plain
from digitnet.model.weights import EpochRecord, load_tagged
from digitnet.train.config import TrainConfig

CHECKPOINT_FORMAT = "digitnet-checkpoint"
CHECKPOINT_FORMAT_VERSION = 1
StateDict = dict[str, Any]
STATE_KEYS = ("best_state", "model", "optimizer", "scheduler", "rng")  # "ema" may be None


class CheckpointError(DigitnetError):
    pass


@dataclass
class RunProgress:
    """How far a run has got: its epochs so far and the best of them (plain values only)."""

    epoch: int = 0
    best_val_acc: float = -1.0
    best_epoch: int = 0
    elapsed_s: float = 0.0
    history: list[EpochRecord] = field(default_factory=list)


@dataclass
class Checkpoint:
    config: TrainConfig
    progress: RunProgress
    best_state: dict[str, torch.Tensor]  # the weights of progress.best_epoch
    model: StateDict
    ema: StateDict | None
    optimizer: StateDict
    scheduler: StateDict
    rng: dict[str, torch.Tensor]  # the run's generator and torch's global one


def save_checkpoint(path: str | os.PathLike[str], checkpoint: Checkpoint) -> Path:
    payload = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_FORMAT_VERSION,
        "config": to_plain(checkpoint.config),
        "progress": to_plain(checkpoint.progress),
        **{key: getattr(checkpoint, key) for key in (*STATE_KEYS, "ema")},
    }
    return atomic_write(path, lambda tmp: torch.save(payload, tmp))


def load_checkpoint(path: Path) -> Checkpoint:
    """Read and check a checkpoint's structure; whether it fits a run is checked on restoring it."""
    if not path.is_file():
        raise CheckpointError(f"--resume: no checkpoint in {path.parent}")
    payload = load_tagged(path, CHECKPOINT_FORMAT, "checkpoint", CheckpointError)
    try:
        return _checked(payload)
    except RecordError as e:
        raise CheckpointError(f"{path}: {e}") from None


def _checked(payload: dict[str, Any]) -> Checkpoint:
    states: dict[str, StateDict] = {}
    for key in STATE_KEYS:
        value = payload.get(key)
        if not isinstance(value, dict) or not value:
            raise RecordError(f"checkpoint.{key} is missing")
        states[key] = value
    ema = payload.get("ema")
    if not isinstance(ema, (dict, type(None))):
        raise RecordError("checkpoint.ema must be a dict or None")
    return Checkpoint(config=from_plain(TrainConfig, payload.get("config"), "checkpoint.config"),
                      progress=from_plain(RunProgress, payload.get("progress"),
                                          "checkpoint.progress"),
                      ema=ema, **states)
