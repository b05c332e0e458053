"""One training step and one epoch of it (`Trainer`), the losses they minimise, and the model's
logits and accuracy in eval mode: what training (digitnet.train.loop) and fine-tuning
(digitnet.train.finetune) share.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from digitnet import DigitnetError
from digitnet.train.augment import Augment
from digitnet.train.distributed import Shard

DISTILL_TEMPERATURE = 2.0  # softens both outputs, so the teacher's runner-up digits teach too
Check = Callable[[], None]  # raises to stop


def pick_device(name: str) -> torch.device:
    mps = getattr(torch.backends, "mps", None)
    available = {"cuda": torch.cuda.is_available(), "mps": bool(mps and mps.is_available())}
    if name == "auto":
        return torch.device(next((kind for kind, ok in available.items() if ok), "cpu"))
    if name in available and not available[name]:
        raise DigitnetError(f"--device {name}: no such device is available here")
    return torch.device(name)


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 [N, 28, 28] -> float [N, 1, 28, 28] in [0, 1]."""
    return torch.from_numpy(images).float().div_(255).unsqueeze(1)


@torch.inference_mode()
def predict_logits(model: nn.Module, images: torch.Tensor, device: torch.device,
                   batch_size: int = 1000, check: Check | None = None) -> torch.Tensor:
    """Logits in eval mode, a batch at a time; `check()` before each batch (it may raise)."""
    model.eval()
    logits = []
    for i in range(0, len(images), batch_size):
        if check:
            check()
        logits.append(model(images[i : i + batch_size].to(device)).float().cpu())
    return torch.cat(logits)


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, device: torch.device,
             check: Check | None = None) -> float:
    predictions = predict_logits(model, images, device, check=check).argmax(1)
    return (predictions == labels).float().mean().item()


def digits_and_outliers_loss(logits: torch.Tensor, labels: torch.Tensor,
                             outlier_weight: float) -> torch.Tensor:
    """Cross-entropy on the digits; on the negatives (label NOT_A_DIGIT), `outlier_weight` times
    the cross-entropy to the uniform distribution (outlier exposure, Hendrycks et al. 2019):
    summed over the batch and divided by its size, so MNIST alone gives the usual mean."""
    digit = labels >= 0
    loss = F.cross_entropy(logits[digit], labels[digit], reduction="sum")
    others = logits[~digit]
    uniform = (torch.logsumexp(others, 1) - others.mean(1)).sum()
    return (loss + outlier_weight * uniform) / len(labels)


def distillation_loss(logits: torch.Tensor, teacher_logits: torch.Tensor,
                      batch_size: int) -> torch.Tensor:
    """KL divergence from the teacher's softened outputs to the student's (Hinton et al. 2015),
    scaled by the temperature squared and divided by the whole batch's size: fine-tuning on new
    data while matching the old model on the old data forgets less of it (Li and Hoiem 2016)."""
    t = DISTILL_TEMPERATURE
    kl = F.kl_div((logits / t).log_softmax(1), (teacher_logits / t).log_softmax(1),
                  reduction="sum", log_target=True)
    return kl * t * t / batch_size


@dataclass(frozen=True)
class EpochStats:
    loss: float
    accuracy: float  # of the digits; negatives have no right answer to count
    images_per_s: float


@dataclass
class Trainer:
    """A model with what one training step updates: optimizer, schedule, optional weight EMA.

    `generator` drives the shuffling and the augmentation, so a run is reproducible from it.
    An epoch takes `epoch_images` of the images at random (0: all of them). With a `teacher`,
    the first `taught_rows` training images (MNIST's) also learn to match its outputs.
    """

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    generator: torch.Generator
    device: torch.device
    augment: Augment | None = None
    ema: AveragedModel | None = None
    outlier_weight: float = 0.5
    epoch_images: int = 0
    teacher: nn.Module | None = None
    distill: float = 0.0
    taught_rows: int = 0
    shard: Shard | None = None  # this process's share of each batch, under torchrun
    learner: nn.Module | None = None  # the model wrapped for several processes (DDP)

    @property
    def evaluated(self) -> nn.Module:
        """What is validated and exported: the EMA of the weights if there is one."""
        return self.ema.module if self.ema is not None else self.model

    def step(self, images: torch.Tensor, labels: torch.Tensor, skeletons: torch.Tensor | None,
             taught: torch.Tensor | None = None) -> tuple[float, int, int]:
        """One optimizer step on one batch (`taught`: which of its images the teacher teaches);
        (its loss, how many digits it got right, of how many digits)."""
        x = self.augment(images, self.generator, skeletons) if self.augment else images
        if self.shard is not None:  # every process augmented the whole batch: the same draws
            rows = self.shard.rows(len(x))
            x, labels = x[rows], labels[rows]
            taught = None if taught is None else taught[rows]
        x, y = x.to(self.device), labels.to(self.device)
        logits = (self.learner or self.model)(x)
        loss = digits_and_outliers_loss(logits, y, self.outlier_weight)
        if self.teacher is not None and taught is not None and bool(taught.any()):
            taught = taught.to(self.device)
            with torch.no_grad():
                teacher_logits = self.teacher(x[taught])
            loss = loss + self.distill * distillation_loss(logits[taught], teacher_logits, len(y))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.scheduler.step()
        if self.ema is not None:
            self.ema.update_parameters(self.model)
        digits = y >= 0
        return loss.item(), int((logits.argmax(1) == y).sum().item()), int(digits.sum().item())

    def epoch(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, *,
              skeletons: torch.Tensor | None = None, label: str = "", progress: bool = True,
              check: Check | None = None) -> EpochStats:
        """One shuffled pass; a tqdm bar on a terminal if `progress`; `check()` after each batch."""
        self.model.train()
        order = torch.randperm(len(images), generator=self.generator)[: self.epoch_size(images)]
        least = self.shard.world if self.shard else 1  # a row for every process, or no step
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)
                   if len(order) - i >= least]
        total_loss, correct, digits, seen = 0.0, 0, 0, 0
        start = time.perf_counter()
        bar = tqdm(batches, desc=label, unit="batch", leave=False,
                   disable=None if progress else True)  # None: on a terminal only
        for idx in bar:
            skeleton = None if skeletons is None else skeletons[idx]
            loss, hits, batch_digits = self.step(images[idx], labels[idx], skeleton,
                                                 idx < self.taught_rows)
            total_loss, seen = total_loss + loss * len(idx), seen + len(idx)
            correct, digits = correct + hits, digits + batch_digits
            bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / max(digits, 1):.4f}",
                            refresh=False)
            if check:
                check()
        return EpochStats(total_loss / seen, correct / max(digits, 1),
                          seen / (time.perf_counter() - start))

    def epoch_size(self, images: torch.Tensor) -> int:
        return min(self.epoch_images or len(images), len(images))
