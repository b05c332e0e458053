"""Training on several processes: DistributedDataParallel under torchrun.

    torchrun --standalone --nproc-per-node 4 -m digitnet train ...   # 4 GPUs, or 4 CPU processes

Every process runs the same loop with the same seed, so all draw the same shuffled batches
and the same augmentation; each then learns from its own share of every batch (rows rank,
rank + world, ...), DDP averages the gradients, and the model, optimizer and schedule stay the
same in every process. A run on N processes thus takes the same steps as one process with
the same --batch-size (BatchNorm's statistics aside: each process sees its share), and
--resume works as on one process. The first process alone writes checkpoints, logs and the
exported weights. Backend: NCCL on GPUs, gloo on CPUs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Shard:
    """This process's place among `world` processes."""

    rank: int
    world: int

    @property
    def main(self) -> bool:
        """The process that writes: checkpoints, logs, weights."""
        return self.rank == 0

    def rows(self, batch: int) -> slice:
        """This process's rows of a batch of `batch` images."""
        return slice(self.rank, batch, self.world)


def launched() -> bool:
    """Whether torchrun started this process as one of several."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def join(device: torch.device) -> tuple[Shard, torch.device]:
    """Join the process group torchrun describes; on GPUs each process takes its own device."""
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Shard(dist.get_rank(), dist.get_world_size()), device


def barrier(shard: Shard | None) -> None:
    """Wait for every process (nothing to wait for alone)."""
    if shard is not None:
        dist.barrier()


def leave(shard: Shard | None) -> None:
    if shard is not None:
        dist.destroy_process_group()
