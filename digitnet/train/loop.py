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
"""

from __future__ import annotations

import copy
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from digitnet import DigitnetError
from digitnet.common.atomic import atomic_write_bytes, check_writable
from digitnet.common.digits import TRANSFORM_VERSION
from digitnet.common.plain import to_plain
from digitnet.data import mixture
from digitnet.data.mnist import MNIST_FILES, load_mnist, validation_split
from digitnet.data.pendigits import PENDIGITS_SOURCE, TRAINING_WRITERS, writer_folds
from digitnet.data.sources import PENDIGITS_TUNING_FOLD, Lookup, inputs, load_fold
from digitnet.data.strokes import APP_STYLE
from digitnet.model.networks import create_model
from digitnet.model.registry import MODEL_NAMES
from digitnet.model.weights import (
    DataSource,
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
from digitnet.train.augment import Augment, add_continental_marks, skeletons_2x
from digitnet.train.checkpoint import (
    Checkpoint,
    CheckpointError,
    RunProgress,
    load_checkpoint,
    save_checkpoint,
)
from digitnet.train.config import TrainConfig
from digitnet.train.distributed import Shard

TUNING_SEED = 17  # where the tuning writers' digits are drawn on the app's canvas
WRITER_SOURCES = (PENDIGITS_SOURCE, "cvl")  # sources whose writers learned_from lists by number
DISTILL_TEMPERATURE = 2.0  # softens both outputs, so the teacher's runner-up digits teach too
AfterEpoch = Callable[[nn.Module, EpochRecord], None]
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
