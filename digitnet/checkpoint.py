"""Training checkpoints: all a run needs to continue exactly, written atomically after every
epoch and verified before `--resume` trusts them.

A checkpoint is a plain dict of tensors and plain values (`torch.load(weights_only=True)`):
    format, format_version, config (a TrainConfig), progress (RunProgress without its tensors),
    best_state, model, ema, optimizer, scheduler, rng.
Checkpoints written before this format (keys args, state, ...) are read too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from digitnet import DigitnetError
from digitnet.atomic import atomic_write
from digitnet.config import TrainConfig
from digitnet.plain import RecordError, from_plain, to_plain
from digitnet.weights import EpochRecord, first_line

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
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for truncated, random or foreign files
        raise CheckpointError(f"{path}: not a readable checkpoint ({first_line(e)})") from None
    if isinstance(payload, dict) and "args" in payload and "state" in payload:
        payload = _legacy(payload)
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a digitnet checkpoint "
                              f"(no '{CHECKPOINT_FORMAT}' header)")
    try:
        return _checked(payload)
    except RecordError as e:
        raise CheckpointError(f"{path}: {e}") from None


def _checked(payload: dict[str, Any]) -> Checkpoint:
    tensors = {key: payload.get(key) for key in STATE_KEYS}
    for key, value in tensors.items():
        if not isinstance(value, dict) or not value:
            raise RecordError(f"checkpoint.{key} is missing")
    if not isinstance(payload.get("ema"), (dict, type(None))):
        raise RecordError("checkpoint.ema must be a dict or None")
    return Checkpoint(
        config=from_plain(TrainConfig, payload.get("config"), "checkpoint.config"),
        progress=from_plain(RunProgress, payload.get("progress"), "checkpoint.progress"),
        best_state=tensors["best_state"], model=tensors["model"], ema=payload["ema"],  # type: ignore[arg-type]
        optimizer=tensors["optimizer"], scheduler=tensors["scheduler"], rng=tensors["rng"],  # type: ignore[arg-type]
    )


def _legacy(payload: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint of the format before this one: {args, state: {..., best_state}, model, ...}."""
    state = payload["state"] if isinstance(payload["state"], dict) else {}
    return {**payload, "format": CHECKPOINT_FORMAT, "config": payload["args"],
            "progress": {k: v for k, v in state.items() if k != "best_state"},
            "best_state": state.get("best_state")}
