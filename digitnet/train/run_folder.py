"""A training run's folder (its checkpoint, metrics log and exported weights; a run in it is
never replaced), and each epoch's line on stderr and in TensorBoard.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from torch import nn

from digitnet import DigitnetError
from digitnet.common.atomic import atomic_write_bytes, check_writable
from digitnet.common.records import to_plain
from digitnet.model.registry import MODEL_NAMES
from digitnet.model.weights import EpochRecord
from digitnet.train.checkpoint import Checkpoint, save_checkpoint
from digitnet.train.config import TrainConfig


class RunFolder:
    """A run's folder: checkpoint, metrics log, exported weights; a run in it is never replaced."""

    def __init__(self, config: TrainConfig):
        self.path = Path(config.out)
        self.checkpoint = self.path / "checkpoint.pt"
        self.metrics = self.path / "metrics.jsonl"
        self.weights = self.path / f"{config.model}.pt"

    def prepare(self, resume: bool) -> None:
        """Make the folder and check it can be written, before any training; refuse to train
        into a run without --resume."""
        if self.path.exists() and not self.path.is_dir():
            raise DigitnetError(f"--out {self.path} is a file, not a run folder")
        ours = [self.checkpoint, self.metrics, *(self.path / f"{name}.pt" for name in MODEL_NAMES)]
        found = [p.name for p in ours if p.exists()]
        if found and not resume:
            raise DigitnetError(f"--out {self.path} holds a run already ({', '.join(found)}): pass "
                                "--resume to continue it, or choose a new --out")
        self.check_writable()

    def check_writable(self, need_bytes: int = 0) -> None:
        try:
            check_writable(self.path, need_bytes)
        except OSError as e:
            raise DigitnetError(f"--out {self.path} cannot be written "
                                f"({e.strerror or e})") from None

    def check_space(self, model: nn.Module) -> None:
        """A checkpoint holds about five copies of the weights (model, EMA, best, Adam's two)."""
        self.check_writable(8 * sum(t.numel() * t.element_size()
                                    for t in model.state_dict().values()))

    def save(self, checkpoint: Checkpoint) -> None:
        """The checkpoint, then the metrics log rewritten from it: the log never runs ahead."""
        save_checkpoint(self.checkpoint, checkpoint)
        lines = "".join(to_json_line(record) for record in checkpoint.progress.history)
        atomic_write_bytes(self.metrics, lines.encode())


def to_json_line(record: EpochRecord) -> str:
    return json.dumps(to_plain(record)) + "\n"


def log_epoch(record: EpochRecord, writer: Any) -> None:
    print(f"epoch {record.epoch}: loss {record.train_loss:.4f}, "
          f"train {100 * record.train_acc:.2f} %, val {100 * record.val_acc:.2f} % "
          f"({record.images_per_s:,.0f} img/s)", file=sys.stderr)
    if writer:
        for key in ("train_loss", "train_acc", "val_acc", "lr"):
            writer.add_scalar(key, getattr(record, key), record.epoch)


def tensorboard_writer(run_dir: Path) -> Any:
    """TensorBoard's writer when tensorboard is installed, else None."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(run_dir / "tensorboard"))
