"""Train a registered CNN on MNIST and more: build, fit, export, each a step of one plain loop.

Real digits (--pen, --unipen, --cvl) and drawings that are not digits (--negatives, --letters,
--doodles) can join MNIST's training images: the train folds of registered sources
(digitnet.data.sources, drawn by digitnet.data.mixture). On a negative the loss pulls the ten
outputs towards uniform (outlier exposure), and the export stores the reject threshold that
keeps a chosen share of the validation digits and of the tuning writers' digits of every source
learnt (digitnet.reading.reject). Validation is a fixed slice of MNIST's training set held out
by seed; the best epoch on it is exported (or the last, with --select last). The test set is
evaluated once, on the exported model, for the record (--no-test skips it). A full checkpoint
is written atomically after every epoch, so `--resume` continues a killed run and reproduces the
uninterrupted one exactly; a run folder that holds a run is never trained into again without
--resume. Under torchrun the same loop runs on every process (digitnet.train.distributed).
The step and the epoch are digitnet.train.trainer's, the data digitnet.train.training_data's,
the run folder and the log digitnet.train.run_folder's.
"""

from __future__ import annotations

import copy
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from digitnet import DigitnetError
from digitnet.common.digits import TRANSFORM_VERSION
from digitnet.data.folds import inputs
from digitnet.data.mnist import load_mnist
from digitnet.data.sources import PENDIGITS_TUNING_FOLD, Lookup, load_fold
from digitnet.data.strokes import APP_STYLE
from digitnet.model.networks import create_model
from digitnet.model.weights import (
    EpochRecord,
    WeightsInfo,
    WeightsMetadata,
    first_line,
    load_weights,
    save_weights,
    utc_now,
)
from digitnet.reading.reject import calibrate
from digitnet.train import distributed
from digitnet.train.augment import Augment
from digitnet.train.checkpoint import Checkpoint, CheckpointError, RunProgress, load_checkpoint
from digitnet.train.config import TrainConfig
from digitnet.train.distributed import Shard
from digitnet.train.run_folder import RunFolder, log_epoch, tensorboard_writer
from digitnet.train.trainer import Trainer, accuracy, pick_device, predict_logits, to_tensor
from digitnet.train.training_data import TrainData, load_data

TUNING_SEED = 17  # where the tuning writers' digits are drawn on the app's canvas
AfterEpoch = Callable[[nn.Module, EpochRecord], None]


@dataclass
class Run:
    """A training run being built, fitted and exported."""

    config: TrainConfig
    folder: RunFolder
    data: TrainData
    trainer: Trainer
    model_config: dict[str, Any]
    base: WeightsMetadata | None  # the --init weights' metadata
    init_state: dict[str, torch.Tensor] | None  # the --init weights, for --blend
    progress: RunProgress
    best_state: dict[str, torch.Tensor] | None = None

    @property
    def main(self) -> bool:
        """Whether this process writes the run's files (the only one, or torchrun's first)."""
        return self.trainer.shard is None or self.trainer.shard.main


def train(config: TrainConfig, resume: bool = False,
          after_epoch: AfterEpoch | None = None) -> WeightsMetadata:
    """Train as `config` says into its run folder; return the exported weights' metadata.

    after_epoch(model, record) is called after each epoch's checkpoint (benchmarks measure there).
    """
    device, shard = pick_device(config.device), None
    if distributed.launched():
        shard, device = distributed.join(device)
    try:
        folder = RunFolder(config)
        folder.prepare(resume)
        checkpoint = load_checkpoint(folder.checkpoint) if resume else None
        if checkpoint:
            check_same_flags(checkpoint.config, config, folder.checkpoint)
        torch.manual_seed(config.seed)
        run = build(config, folder, load_data_once(config, shard), device, shard)
        if checkpoint:
            restore(run, checkpoint)
        fit(run, after_epoch)
        metadata = export(run) if run.main else None
        distributed.barrier(shard)
        return metadata or load_weights(folder.weights)[1].metadata
    finally:
        distributed.leave(shard)


def load_data_once(config: TrainConfig, shard: Shard | None) -> TrainData:
    """The training data; under torchrun the first process draws (and caches) it first."""
    if shard is not None and not shard.main:
        distributed.barrier(shard)
    data = load_data(config)
    if shard is not None and shard.main:
        distributed.barrier(shard)
    return data


def build(config: TrainConfig, folder: RunFolder, data: TrainData, device: torch.device,
          shard: Shard | None = None) -> Run:
    """The model (new, or from --init), its optimizer, one-cycle schedule and EMA."""
    model, model_config, base = start_model(config)
    folder.check_space(model)
    init_state = {k: v.detach().clone() for k, v in model.state_dict().items()} if base else None
    model.to(device)
    epoch_images = min(config.epoch_images or len(data.train_x), len(data.train_x))
    total_steps = config.epochs * math.ceil(epoch_images / config.batch_size)
    if total_steps < 3:
        raise DigitnetError(f"{total_steps} training steps are too few for the one-cycle schedule: "
                            "use more --epochs or a smaller --batch-size")
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    warm_up = min(max(0.2, 2.5 / total_steps), 0.9)  # a fifth of the run, at least 1.5 steps
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr,
                                                    total_steps=total_steps, pct_start=warm_up)
    # an exponential moving average of the weights generalises a little better than the last step
    ema = None
    if config.ema:
        ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(config.ema), use_buffers=True)
    augment = Augment(restroke_prob=config.restroke) if config.augment else None
    trainer = Trainer(model, optimizer, scheduler, torch.Generator().manual_seed(config.seed),
                      device, augment, ema, config.outlier_weight, config.epoch_images,
                      frozen_copy(model) if config.distill else None, config.distill,
                      data.mnist_rows, shard, DistributedDataParallel(model) if shard else None)
    return Run(config, folder, data, trainer, model_config, base, init_state, RunProgress())


def frozen_copy(model: nn.Module) -> nn.Module:
    """The model as it is now, in eval mode and never trained: the teacher of --distill."""
    teacher = copy.deepcopy(model).eval()
    teacher.requires_grad_(False)
    return teacher


def start_model(config: TrainConfig) -> tuple[nn.Module, dict[str, Any], WeightsMetadata | None]:
    """(model, its constructor config, the --init weights' metadata or None).

    --init weights must hold --model and have been trained with this --seed: the seed picks the
    validation images, which must stay unseen for the best-epoch choice to mean anything.
    """
    if not config.init:
        chosen = {"dropout": config.dropout, "width": config.width}
        model_config = {key: value for key, value in chosen.items() if value is not None}
        return create_model(config.model, **model_config), model_config, None
    model, info = load_weights(config.init)
    if info.model != config.model:
        raise DigitnetError(f"--init {config.init} holds a {info.model} model, "
                            f"not --model {config.model}")
    seed = info.metadata.validation_seed
    if seed is None:
        print(f"warning: --init {config.init} does not say which validation images it was trained "
              "without; validation accuracy may be optimistic", file=sys.stderr)
    elif seed != config.seed:
        raise DigitnetError(f"--init {config.init} was trained with seed {seed}: pass --seed "
                            f"{seed}, so that its validation images stay held out")
    return model, info.config, info.metadata


def check_same_flags(saved: TrainConfig, config: TrainConfig, path: Path) -> None:
    changed = saved.differences(config)
    if changed:
        raise CheckpointError(f"--resume: {path} was made with other flags: {'; '.join(changed)}. "
                              "Use the same flags, or train into a new --out")


def restore(run: Run, checkpoint: Checkpoint) -> None:
    """Continue from `checkpoint` (made with the same flags): weights, optimizer, schedule, RNGs."""
    path, trainer = run.folder.checkpoint, run.trainer
    try:
        trainer.model.load_state_dict(checkpoint.model)
        if trainer.ema is not None:
            trainer.ema.load_state_dict(checkpoint.ema or {})
        trainer.optimizer.load_state_dict(checkpoint.optimizer)
        trainer.scheduler.load_state_dict(checkpoint.scheduler)
        trainer.generator.set_state(checkpoint.rng["generator"])
        torch.set_rng_state(checkpoint.rng["torch"])
        check_same_shapes(checkpoint.best_state, trainer.evaluated.state_dict())
    except (RuntimeError, ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{path}: does not fit this run "
                              f"({type(e).__name__}: {first_line(e)})") from None
    run.progress, run.best_state = checkpoint.progress, checkpoint.best_state
    print(f"resumed {path} after epoch {run.progress.epoch}", file=sys.stderr)


def check_same_shapes(state: dict[str, Any], reference: dict[str, torch.Tensor]) -> None:
    """Raise ValueError unless `state` has a tensor of the same shape for each of `reference`'s."""
    for key, tensor in reference.items():
        if not isinstance(state.get(key), torch.Tensor) or state[key].shape != tensor.shape:
            raise ValueError(f"the best weights lack {key} or have another shape")


def fit(run: Run, after_epoch: AfterEpoch | None) -> None:
    """The remaining epochs: train, validate, keep the best, checkpoint, log."""
    writer = tensorboard_writer(run.folder.path) if run.main else None
    try:
        for epoch in range(run.progress.epoch + 1, run.config.epochs + 1):
            record = fit_epoch(run, epoch)
            if not run.main:
                continue
            run.folder.save(make_checkpoint(run))
            log_epoch(record, writer)
            if after_epoch:
                after_epoch(run.trainer.evaluated, record)
    finally:
        if writer:
            writer.close()


def fit_epoch(run: Run, epoch: int) -> EpochRecord:
    start, trainer, data, progress = time.perf_counter(), run.trainer, run.data, run.progress
    stats = trainer.epoch(data.train_x, data.train_y, run.config.batch_size,
                          skeletons=data.skeletons, label=f"epoch {epoch}/{run.config.epochs}",
                          progress=run.main)
    val_acc = accuracy(trainer.evaluated, data.val_x, data.val_y, trainer.device)
    progress.elapsed_s += time.perf_counter() - start
    progress.epoch = epoch
    if run.config.select == "last" or val_acc > progress.best_val_acc:
        progress.best_val_acc, progress.best_epoch = val_acc, epoch
        run.best_state = {k: v.detach().cpu().clone()
                          for k, v in trainer.evaluated.state_dict().items()}
    lr = float(trainer.scheduler.get_last_lr()[0])
    record = EpochRecord(epoch, stats.loss, stats.accuracy, val_acc, lr, stats.images_per_s,
                         progress.elapsed_s)
    progress.history.append(record)
    return record


def make_checkpoint(run: Run) -> Checkpoint:
    trainer = run.trainer
    assert run.best_state is not None, "a checkpoint is made after an epoch"
    rng = {"generator": trainer.generator.get_state(), "torch": torch.get_rng_state()}
    return Checkpoint(run.config, run.progress, run.best_state, trainer.model.state_dict(),
                      trainer.ema.state_dict() if trainer.ema else None,
                      trainer.optimizer.state_dict(), trainer.scheduler.state_dict(), rng)


def export(run: Run) -> WeightsMetadata:
    """Write the best (or last) epoch's weights, blended with --init's if asked, and metadata."""
    config, trainer, progress = run.config, run.trainer, run.progress
    model = trainer.evaluated
    assert run.best_state is not None, "export follows at least one epoch"
    model.load_state_dict(run.best_state)
    val_acc = progress.best_val_acc
    if config.blend < 1 and run.init_state is not None:
        blend_weights(model, run.init_state, config.blend)
        val_acc = accuracy(model, run.data.val_x, run.data.val_y, trainer.device)
    test_acc = mnist_test_accuracy(model, config, trainer.device) if config.test else None
    threshold = None
    if config.learns_negatives or (run.base is not None and run.base.reject_threshold is not None):
        digits = [run.data.val_x, *(to_tensor(images) for images in tuning_digits(config))]
        threshold = min(reject_threshold(model, x, config.reject_keep, trainer.device)
                        for x in digits)
    metadata = WeightsMetadata(
        transform_version=TRANSFORM_VERSION, date=utc_now(), torch=str(torch.__version__),
        learned_from=run.data.sources, validation_seed=config.seed, val_acc=val_acc,
        test_acc=test_acc, best_epoch=progress.best_epoch,
        train_time_s=round(progress.elapsed_s, 1), history=tuple(progress.history),
        training=config, augment=asdict(trainer.augment) if trainer.augment else None,
        base=run.base, base_path=config.init, reject_threshold=threshold)
    info = WeightsInfo(config.model, run.model_config, metadata)
    save_weights(run.folder.weights, info, model.cpu())
    blended = f", {100 * config.blend:.0f} % blended with --init" if config.blend < 1 else ""
    tested = f", test {100 * test_acc:.2f} %" if test_acc is not None else ""
    rejects = f", reject below {threshold:.4f}" if threshold is not None else ""
    print(f"exported epoch {progress.best_epoch}{blended}: val {100 * val_acc:.2f} %"
          f"{tested}{rejects} -> {run.folder.weights}", file=sys.stderr)
    return metadata


def reject_threshold(model: nn.Module, val_x: torch.Tensor, keep: float,
                     device: torch.device) -> float:
    """The top probability below which a drawing is not a digit: the highest that keeps `keep`
    of the validation digits `val_x` (digitnet.reading.reject.calibrate); finetune calibrates the
    same."""
    probs = predict_logits(model, val_x, device).softmax(1)
    return calibrate(probs.max(1).values.numpy(), keep)


def tuning_digits(config: TrainConfig) -> list[np.ndarray]:
    """The tuning writers' digits of each source this run learns from (never their tuning
    writers), as the app and `predict` read them: uint8 [N, 28, 28] a source."""
    names = [name for name, learnt in (
        ("pendigits", config.pen and config.pen_hold_out == PENDIGITS_TUNING_FOLD),
        ("unipen-digits", config.unipen), ("cvl", config.cvl)) if learnt]
    lookup = Lookup(config.data_dir)
    return [inputs(load_fold(name, "tune", lookup), APP_STYLE, TUNING_SEED) for name in names]


def mnist_test_accuracy(model: nn.Module, config: TrainConfig, device: torch.device) -> float:
    images, labels = load_mnist("test", config.data_dir)
    return accuracy(model, to_tensor(images), torch.from_numpy(labels), device)


def blend_weights(model: nn.Module, init_state: dict[str, torch.Tensor], share: float) -> None:
    """Replace the model's weights by `share` of them plus the rest of `init_state`'s.

    Averaging fine-tuned weights with the ones they started from (WiSE-FT, Wortsman et al. 2022)
    keeps most of what the fine-tune taught and most of what the start knew: here, flagged 1s
    without losing MNIST accuracy. Integer buffers (BatchNorm's step count) stay as trained.
    """
    blended = {}
    for key, tuned in model.state_dict().items():
        start = init_state[key].to(tuned.device)
        blended[key] = torch.lerp(start, tuned, share) if tuned.is_floating_point() else tuned
    model.load_state_dict(blended)
