"""Weights files: a state dict plus the metadata needed to rebuild and trust the model.

A file is a plain dict (loadable with torch.load(weights_only=True)):
    format, format_version, model, config, state_dict, metadata
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch
from torch import nn

from digitnet import DigitnetError
from digitnet.atomic import atomic_write
from digitnet.models import MODELS, create_model

WEIGHTS_FORMAT = "digitnet-weights"
WEIGHTS_FORMAT_VERSION = 1


class WeightsError(DigitnetError):
    pass


def save_weights(path: str | os.PathLike, model_name: str, config: dict, model: nn.Module, metadata: dict) -> Path:
    payload = {
        "format": WEIGHTS_FORMAT,
        "format_version": WEIGHTS_FORMAT_VERSION,
        "model": model_name,
        "config": dict(config),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "metadata": dict(metadata),
    }
    return atomic_write(path, lambda tmp: torch.save(payload, tmp))


def load_weights(path: str | os.PathLike, device: str | torch.device = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model a weights file describes, in eval mode; (model, the file's dict minus state_dict)."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: weights file not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for foreign or damaged files
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(e)).strip()  # torch colours some messages
        first_line = text.splitlines()[0] if text else type(e).__name__
        raise WeightsError(f"{path}: not a readable weights file ({first_line[:200]})") from None
    if not isinstance(payload, dict) or payload.get("format") != WEIGHTS_FORMAT:
        raise WeightsError(f"{path}: not a digitnet weights file (no '{WEIGHTS_FORMAT}' header)")
    if payload.get("format_version") != WEIGHTS_FORMAT_VERSION:
        raise WeightsError(f"{path}: weights format version {payload.get('format_version')} is not supported")
    name, config, state = payload.get("model"), payload.get("config"), payload.get("state_dict")
    if name not in MODELS:
        raise WeightsError(f"{path}: unknown model {name!r} (known: {', '.join(MODELS)})")
    if not isinstance(config, dict) or not isinstance(state, dict):
        raise WeightsError(f"{path}: config or state_dict missing")
    try:
        model = create_model(name, **config)
    except TypeError as e:
        raise WeightsError(f"{path}: config does not fit model {name!r} ({e})") from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        detail = str(e).strip().splitlines()[0]
        raise WeightsError(f"{path}: weights do not match the {name!r} architecture ({detail[:200]})") from None
    meta = {k: v for k, v in payload.items() if k != "state_dict"}
    return model.to(device).eval(), meta


def full_history(metadata: dict) -> tuple[list[dict], int]:
    """(per-epoch records of every run that made these weights, epochs before the last run).

    A run started with --init carries its start's history; its own epochs follow, renumbered, so
    that a fine-tune's curves continue the ones it started from.
    """
    earlier = (metadata.get("init") or {}).get("history") or []
    own = [{**record, "epoch": len(earlier) + record["epoch"]} for record in metadata.get("history") or []]
    return earlier + own, len(earlier)
