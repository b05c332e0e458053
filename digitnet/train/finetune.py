"""Fine-tune a trained model on a person's own samples: "teach it your handwriting".

A person saves a few drawings of each digit; training on those alone would make the model
forget everything else, so every epoch mixes them with three times as many MNIST training
digits, at a small learning rate, for a few hundred steps. Part of each digit's samples is
held aside and never trained on: the accuracy on them before and after is the honest
measure of what was learnt, and the MNIST test set before and after of what was forgotten.
The replayed MNIST digits leave out the base model's validation images, so those stay unseen.

One function serves the CLI and the app's background thread: progress goes to a callback,
`should_stop` ends it within a batch, and the result is a new weights file (never written over
an existing file; its name cannot collide with another run's) plus a typed result.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from digitnet import DigitnetError
from digitnet.common.atomic import check_writable
from digitnet.common.digits import NUM_CLASSES, TRANSFORM_VERSION
from digitnet.common.paths import default_samples_dir, user_data_dir, weights_path
from digitnet.common.records import to_plain
from digitnet.common.wording import counted
from digitnet.data.mnist import load_mnist, validation_split
from digitnet.data.samples import SampleError, SampleStore
from digitnet.model.registry import MODEL_NAMES, default_weights
from digitnet.model.weights import (
    DataSource,
    FinetuneRecord,
    WeightsInfo,
    WeightsMetadata,
    load_weights,
    save_weights,
    utc_now,
)
from digitnet.train.augment import Augment
from digitnet.train.config import FinetuneConfig, TrainConfig
from digitnet.train.loop import reject_threshold
from digitnet.train.trainer import Check, Trainer, accuracy, pick_device, to_tensor

MIN_PER_DIGIT = 5  # fewer cannot be split into training and held-aside samples meaningfully
REPLAY = 3  # MNIST training digits mixed in per user sample
BATCH_SIZE = 32
# the user's style is the point, so it is only jittered, not distorted away (nor redrawn)
LIGHT_AUGMENT = Augment(rotate_deg=5.0, scale=(0.93, 1.05), shear=0.1, shift_px=1.0,
                        elastic_px=1.0, stroke_prob=0.3, restroke_prob=0.0)
# how far MNIST test may fall, in points, for the fine-tuned model still to be taken (adoption)
MNIST_TOLERANCE_POINTS = 0.2
Report = Callable[[str], None]


class FinetuneStopped(DigitnetError):
    """should_stop() said so; nothing was written."""


@dataclass(frozen=True)
class FinetuneResult:
    weights: Path  # the new file
    base_weights: Path
    record: FinetuneRecord  # also in the new file's metadata
    skipped: tuple[str, ...]  # one warning per sample file that could not be used
    time_s: float

    def as_dict(self) -> dict[str, Any]:
        """For --json: the paths, the record's figures, the adoption verdict, the warnings and
        the time."""
        verdict = adoption(self.record)
        return {"weights": str(self.weights), "base_weights": str(self.base_weights),
                **to_plain(self.record), "meets_adoption_rule": verdict.adopt,
                "adoption_reason": verdict.reason, "skipped_files": list(self.skipped),
                "time_s": self.time_s}


@dataclass(frozen=True)
class UserSamples:
    """The person's samples as network inputs, split into what is learnt and what is held aside."""

    folder: Path
    images: torch.Tensor  # float [N, 1, 28, 28]
    labels: torch.Tensor
    train: np.ndarray  # indices
    held: np.ndarray
    skipped: tuple[str, ...]

    def per_digit(self, idx: np.ndarray | None = None) -> tuple[int, ...]:
        labels = self.labels.numpy() if idx is None else self.labels.numpy()[idx]
        return tuple(np.bincount(labels, minlength=NUM_CLASSES).tolist())


@dataclass(frozen=True)
class Scores:
    held_aside: float
    mnist_test: float


@dataclass(frozen=True)
class Tuning:
    """A fine-tuning run under way: what its steps share."""

    config: FinetuneConfig
    model: torch.nn.Module
    device: torch.device
    samples: UserSamples
    mnist_test: tuple[torch.Tensor, torch.Tensor]  # the first --mnist-limit test images
    report: Report
    check_stop: Check

    def measure(self, when: str) -> Scores:
        """Accuracy on the held-aside samples and on MNIST test, reported."""
        held = self.samples.held
        scores = Scores(
            accuracy(self.model, self.samples.images[held], self.samples.labels[held], self.device),
            accuracy(self.model, *self.mnist_test, self.device, check=self.check_stop))
        self.report(f"{when}: held-aside samples {100 * scores.held_aside:.1f} %, "
                    f"MNIST test {100 * scores.mnist_test:.2f} %")
        return scores


def finetune(config: FinetuneConfig, progress: Report | None = None,
             should_stop: Callable[[], bool] | None = None) -> FinetuneResult:
    """Fine-tune `config.weights` (default: the best shipped model) on `config.samples`.

    Raises DigitnetError for too few samples, a bad weights file or an output that cannot be
    written (all before any training), and FinetuneStopped soon after `should_stop()` is true.
    """
    start = time.perf_counter()
    report = progress or (lambda message: None)
    samples = load_samples(config, report)
    base_path = Path(config.weights) if config.weights else default_weights()
    model, base = load_weights(base_path)
    out = Path(config.out) if config.out else new_output_name(base.model)
    check_output(out, model)
    torch.manual_seed(config.seed)
    device = pick_device("auto")
    tuning = Tuning(config, model.to(device), device, samples, mnist_test(config), report,
                    stop_check(should_stop))
    before = tuning.measure("before")
    mnist = split_like_base(config, base.metadata)
    train_with_replay(tuning, mnist.replay)
    record = make_record(tuning, before, tuning.measure("after"))
    threshold = recalibrated_threshold(tuning, base.metadata, mnist.validation)
    save_new_weights(out, base, base_path, record, model, threshold)
    report(f"wrote {out}")
    return FinetuneResult(out, base_path, record, samples.skipped,
                          round(time.perf_counter() - start, 1))


def stop_check(should_stop: Callable[[], bool] | None) -> Check:
    def check() -> None:
        if should_stop and should_stop():
            raise FinetuneStopped("fine-tuning stopped; nothing was written")

    return check


def load_samples(config: FinetuneConfig, report: Report) -> UserSamples:
    """Every usable sample (a damaged or absurd one is skipped with a warning), split by digit."""
    folder = default_samples_dir(config.samples)
    samples, warnings = SampleStore(folder).load_all()
    images, labels = [], []
    for sample in samples:
        try:
            images.append(sample.current_image())
            labels.append(sample.label)
        except SampleError as e:
            warnings.append(f"{sample.path}: skipped, {e}")
    for warning in warnings:
        report(f"warning: {warning}")
    label_array = np.array(labels, np.int64)
    check_enough(np.bincount(label_array, minlength=NUM_CLASSES).tolist(), folder)
    train, held = split_holdout(label_array, config.holdout, np.random.default_rng(config.seed))
    report(f"{counted(len(labels), 'sample')} in {folder}: {len(train)} to learn from, "
           f"{len(held)} held aside")
    return UserSamples(folder, torch.from_numpy(np.stack(images)).unsqueeze(1),
                       torch.from_numpy(label_array), train, held, tuple(warnings))


def check_enough(counts: list[int], folder: Path) -> None:
    """Refuse, saying how many more are needed, unless each digit present has MIN_PER_DIGIT."""
    if not any(counts):
        raise DigitnetError(
            f"no samples in {folder}: draw a digit in the app and press its key (0-9) to save it; "
            f"fine-tuning needs at least {MIN_PER_DIGIT} samples of each digit you teach it"
        )
    short = [f"digit {d} has {n} ({MIN_PER_DIGIT - n} more needed)"
             for d, n in enumerate(counts) if 0 < n < MIN_PER_DIGIT]
    if short:
        raise DigitnetError(
            f"too few samples in {folder}: {', '.join(short)}; "
            f"each digit you teach needs at least {MIN_PER_DIGIT}"
        )


def split_holdout(labels: np.ndarray, fraction: float,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-aside) indices: `fraction` of each digit's samples held aside (at least
    one, never all)."""
    train, held = [], []
    for digit in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == digit))
        n_held = min(len(idx) - 1, max(1, round(fraction * len(idx))))
        held.append(idx[:n_held])
        train.append(idx[n_held:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(held))


def new_output_name(model_name: str) -> Path:
    """A new file in the per-user weights folder; the random part keeps two runs started in the
    same second apart (and save_new_weights never replaces a file anyway)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"finetuned-{model_name}-{stamp}-{secrets.token_hex(3)}.pt"
    return user_data_dir() / "weights" / name


def check_output(out: Path, model: torch.nn.Module) -> None:
    """Before any training: never a shipped or an existing file; a folder with room for it."""
    if out.resolve() in {weights_path(name).resolve() for name in MODEL_NAMES}:
        raise DigitnetError(f"{out} is a shipped weights file; write fine-tuned weights "
                            "elsewhere (see --out)")
    if out.exists() or out.is_symlink():
        raise DigitnetError(f"{out} already exists; fine-tuning never overwrites a weights file")
    need = 2 * sum(t.numel() * t.element_size() for t in model.state_dict().values())
    try:
        check_writable(out.parent, need)
    except OSError as e:
        raise DigitnetError(f"cannot write {out} ({e.strerror or e}); choose another "
                            "--out") from None


def mnist_test(config: FinetuneConfig) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = load_mnist("test", config.data_dir)
    limit = config.mnist_limit or None
    return to_tensor(images[:limit]), torch.from_numpy(labels[:limit])


@dataclass(frozen=True)
class BaseSplit:
    """MNIST's training digits as the base's training run split them."""

    replay: tuple[np.ndarray, np.ndarray]  # to mix in: all but the base's validation images
    validation: np.ndarray | None  # the base's validation images (uint8); None: it does not say


def split_like_base(config: FinetuneConfig, base: WeightsMetadata) -> BaseSplit:
    images, labels = load_mnist("train", config.data_dir)
    trained = base.trained()
    if trained.validation_seed is None:
        return BaseSplit((images, labels), None)
    limit = trained.training.limit if trained.training and trained.training.limit else len(images)
    _, validation = validation_split(limit, trained.validation_seed)
    keep = np.ones(len(images), bool)
    keep[validation] = False
    return BaseSplit((images[keep], labels[keep]), images[validation])


def recalibrated_threshold(tuning: Tuning, base: WeightsMetadata,
                           validation: np.ndarray | None) -> float | None:
    """The fine-tuned model's reject threshold, calibrated as training does it: on the base's
    validation digits, keeping the share the base kept. Fine-tuning moves the confidences, so the
    base's threshold would keep another share. None if the base has none, or (with a warning)
    if it does not say which digits it was validated on."""
    if base.reject_threshold is None:
        return None
    if validation is None:
        tuning.report("warning: the base does not say which digits it was validated on; the "
                      "fine-tuned model gets no reject threshold")
        return None
    training = base.trained().training
    keep = training.reject_keep if training else TrainConfig().reject_keep
    threshold = reject_threshold(tuning.model, to_tensor(validation), keep, tuning.device)
    tuning.report(f"reject threshold {base.reject_threshold:.4f} -> {threshold:.4f}: keeps "
                  f"{100 * keep:.1f} % of the base's validation digits")
    return threshold


def train_with_replay(tuning: Tuning, mnist: tuple[np.ndarray, np.ndarray]) -> None:
    """Each epoch: every sample to learn from once, shuffled in with REPLAY times as many fresh
    MNIST digits; a small learning rate annealed to zero."""
    config, samples = tuning.config, tuning.samples
    user_x, user_y = samples.images[samples.train], samples.labels[samples.train]
    n_replay = REPLAY * len(user_x)
    steps = config.epochs * math.ceil((len(user_x) + n_replay) / BATCH_SIZE)
    optimizer = torch.optim.AdamW(tuning.model.parameters(), lr=config.lr, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    trainer = Trainer(tuning.model, optimizer, scheduler,
                      torch.Generator().manual_seed(config.seed), tuning.device, LIGHT_AUGMENT)
    rng = np.random.default_rng(config.seed)
    for epoch in range(1, config.epochs + 1):
        replay = rng.choice(len(mnist[0]), n_replay, replace=False)
        images = torch.cat([user_x, to_tensor(mnist[0][replay])])
        targets = torch.cat([user_y, torch.from_numpy(mnist[1][replay])])
        stats = trainer.epoch(images, targets, BATCH_SIZE, progress=False, check=tuning.check_stop)
        tuning.report(f"epoch {epoch}/{config.epochs}: loss {stats.loss:.4f}, accuracy "
                      f"{100 * stats.accuracy:.1f} % (samples and MNIST replay)")


def make_record(tuning: Tuning, before: Scores, after: Scores) -> FinetuneRecord:
    samples = tuning.samples
    return FinetuneRecord(
        config=tuning.config, samples_dir=str(samples.folder.resolve()),
        samples_per_digit=samples.per_digit(), trained_per_digit=samples.per_digit(samples.train),
        held_aside_per_digit=samples.per_digit(samples.held),
        held_aside_acc_before=before.held_aside, held_aside_acc_after=after.held_aside,
        mnist_test_images=len(tuning.mnist_test[1]), mnist_test_acc_before=before.mnist_test,
        mnist_test_acc_after=after.mnist_test, replay=REPLAY, augment=asdict(LIGHT_AUGMENT))


def save_new_weights(out: Path, base: WeightsInfo, base_path: Path, record: FinetuneRecord,
                     model: torch.nn.Module, threshold: float | None) -> None:
    """Write the fine-tuned weights with the base's lineage; never over a file that appeared
    meanwhile."""
    samples = DataSource("samples", images=sum(record.trained_per_digit))
    metadata = WeightsMetadata(
        transform_version=TRANSFORM_VERSION,  # the samples and MNIST it learnt from went through it
        date=utc_now(), torch=str(torch.__version__),
        learned_from=(*base.metadata.learned_from, samples),
        validation_seed=base.metadata.validation_seed, finetune=record, base=base.metadata,
        base_path=str(base_path.resolve()), reject_threshold=threshold)
    try:
        save_weights(out, WeightsInfo(base.model, base.config, metadata), model.cpu(),
                     replace=False)
    except FileExistsError:
        raise DigitnetError(f"{out} appeared while fine-tuning; nothing was written over "
                            "it") from None
    except OSError as e:
        raise DigitnetError(f"cannot write {out} ({e.strerror or e})") from None


def describe(result: FinetuneResult) -> str:
    """The before/after figures in one line, for a terminal or the app's window."""
    r = result.record
    return (f"your held-aside samples {100 * r.held_aside_acc_before:.1f} % -> "
            f"{100 * r.held_aside_acc_after:.1f} %, MNIST test "
            f"{100 * r.mnist_test_acc_before:.2f} % -> {100 * r.mnist_test_acc_after:.2f} %")


@dataclass(frozen=True)
class Verdict:
    """Whether a fine-tuned model should replace the one it started from, and why, in words."""

    adopt: bool
    reason: str


def adoption(record: FinetuneRecord) -> Verdict:
    """The rule the app switches models by (the CLI reports it): the fine-tuned model must read
    the held-aside samples at least as well as its base and MNIST test at most
    MNIST_TOLERANCE_POINTS worse: a model that reads the person's hand worse, or learnt it by
    forgetting everyone else's, is not worth swapping in. Ties count as at least as good."""
    r = record
    held = f"({100 * r.held_aside_acc_after:.1f} % vs {100 * r.held_aside_acc_before:.1f} %)"
    mnist = f"({100 * r.mnist_test_acc_after:.2f} % vs {100 * r.mnist_test_acc_before:.2f} %)"
    # rounded so that a fall of exactly the tolerance, in counts of images, is within it
    fall = round(100 * (r.mnist_test_acc_before - r.mnist_test_acc_after), 9)
    worse = []
    if r.held_aside_acc_after < r.held_aside_acc_before:
        worse.append(f"your held-aside samples worse {held}")
    if fall > MNIST_TOLERANCE_POINTS:
        worse.append(f"MNIST test {fall:.2f} points worse {mnist}, more than the "
                     f"{MNIST_TOLERANCE_POINTS:g} allowed")
    if worse:
        return Verdict(False, "the fine-tuned one reads " + " and ".join(worse))
    return Verdict(True, f"the fine-tuned one reads your held-aside samples at least as well "
                         f"{held} and MNIST test within {MNIST_TOLERANCE_POINTS:g} points {mnist}")


def summary(result: FinetuneResult) -> str:
    """The CLI's report: the figures, whether the app would switch to the new model, its file."""
    verdict = adoption(result.record)
    would = "switch to it" if verdict.adopt else "keep the model it started from"
    return (f"{describe(result)}\nthe app would {would}: {verdict.reason}\n"
            f"new weights: {result.weights} (load them with --weights)")
