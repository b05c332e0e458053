"""Fine-tune a trained model on a person's own samples: "teach it your handwriting".

A person saves a few drawings of each digit; training on those alone would make the model
forget everything else, so every epoch mixes them with three times as many MNIST training
digits, at a small learning rate, for a few hundred steps. Part of each digit's samples is
held aside and never trained on: the accuracy on them before and after is the honest
measure of what was learnt, and the MNIST test set before and after of what was forgotten.

One plain function serves the CLI and the app's background thread: progress goes to a
callback, `should_stop` ends it early, and the result is a new weights file (the shipped
ones and any existing file are never overwritten) plus a summary dict.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from digitnet import DigitnetError
from digitnet.augment import Augment
from digitnet.data import load_mnist
from digitnet.models import MODELS
from digitnet.paths import default_samples_dir, user_data_dir, weights_path
from digitnet.preprocess import TRANSFORM_VERSION
from digitnet.recognizer import default_weights
from digitnet.samples import SampleStore
from digitnet.train import accuracy, pick_device, to_tensor, train_one_epoch
from digitnet.weights import load_weights, save_weights

EPOCHS = 40  # passes over the samples; 20 left MNIST measurably worse, 40 did not (bench/finetune_styles.py)
LR = 1e-3  # peak, annealed to zero: small, so the base model's knowledge stays
HOLDOUT = 0.2
MIN_PER_DIGIT = 5  # fewer cannot be split into training and held-aside samples meaningfully
REPLAY = 3  # MNIST training digits mixed in per user sample
BATCH_SIZE = 32
# the user's style is the point, so it is only jittered, not distorted away (nor redrawn)
LIGHT_AUGMENT = Augment(rotate_deg=5.0, scale=(0.93, 1.05), shear=0.1, shift_px=1.0, elastic_px=1.0, stroke_prob=0.3,
                        restroke_prob=0.0)


class FinetuneStopped(DigitnetError):
    """should_stop() said so; nothing was written."""


def default_output(model_name: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return user_data_dir() / "weights" / f"finetuned-{model_name}-{stamp}.pt"


def check_enough(counts: list[int], folder: Path) -> None:
    """Refuse, saying how many more are needed, unless every digit present has MIN_PER_DIGIT samples."""
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


def split_holdout(labels: np.ndarray, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-aside) indices, `fraction` of each digit's samples held aside (at least one, never all)."""
    train, held = [], []
    for digit in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == digit))
        n_held = min(len(idx) - 1, max(1, round(fraction * len(idx))))
        held.append(idx[:n_held])
        train.append(idx[n_held:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(held))


def check_output(out: Path) -> None:
    shipped = {weights_path(name).resolve() for name in MODELS}
    if out.resolve() in shipped:
        raise DigitnetError(f"{out} is a shipped weights file; write fine-tuned weights elsewhere (see --out)")
    if out.exists():
        raise DigitnetError(f"{out} already exists; fine-tuning never overwrites a weights file")


def train_with_replay(model, user, mnist, epochs, lr, rng, generator, device, report, check_stop) -> None:
    """Each epoch: every user sample once, shuffled in with REPLAY times as many fresh MNIST training digits.

    user: (images [N, 1, 28, 28] float, labels) tensors; mnist: (images uint8 [M, 28, 28], labels) arrays.
    """
    user_x, user_y = user
    mnist_x, mnist_y = mnist
    n_replay = REPLAY * len(user_x)
    steps_per_epoch = math.ceil((len(user_x) + n_replay) / BATCH_SIZE)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps_per_epoch)
    for epoch in range(1, epochs + 1):
        replay = rng.choice(len(mnist_x), n_replay, replace=False)
        images = torch.cat([user_x, to_tensor(mnist_x[replay])])
        targets = torch.cat([user_y, torch.from_numpy(mnist_y[replay])])
        loss, train_acc, _ = train_one_epoch(model, optimizer, scheduler, images, targets, LIGHT_AUGMENT, generator,
                                             BATCH_SIZE, device, f"epoch {epoch}/{epochs}", progress_stream=None)
        report(f"epoch {epoch}/{epochs}: loss {loss:.4f}, accuracy {100 * train_acc:.1f} % (samples and MNIST replay)")
        check_stop()


def finetune(
    samples_dir: str | os.PathLike | None = None,
    weights: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    *,
    epochs: int = EPOCHS,
    lr: float = LR,
    holdout: float = HOLDOUT,
    data_dir: str | os.PathLike | None = None,
    seed: int = 0,
    mnist_limit: int = 0,
    progress: Callable[[str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict:
    """Fine-tune `weights` (default: the best shipped model) on the samples in `samples_dir`.

    Writes the new weights to `out` (default: a new file in the per-user weights folder) and
    returns a summary: the path written, and accuracy before and after on the held-aside
    samples and on the MNIST test set (its first `mnist_limit` images, if set).
    Raises DigitnetError for too few samples, a bad weights file or output path, and
    FinetuneStopped if `should_stop()` turned true.
    """
    if not 0 < holdout < 1:
        raise DigitnetError(f"--holdout must be between 0 and 1, got {holdout}")
    if epochs < 1 or lr <= 0:
        raise DigitnetError("--epochs must be at least 1 and --lr positive")
    report = progress or (lambda message: None)

    def check_stop() -> None:
        if should_stop and should_stop():
            raise FinetuneStopped("fine-tuning stopped; nothing was written")

    start = time.perf_counter()
    folder = default_samples_dir(samples_dir)
    samples, warnings = SampleStore(folder).load_all()
    for warning in warnings:
        report(f"warning: {warning}")
    labels = np.array([s.label for s in samples], np.int64)
    counts = np.bincount(labels, minlength=10).tolist()
    check_enough(counts, folder)

    base = Path(weights) if weights else default_weights()
    model, base_meta = load_weights(base)
    out = Path(out) if out else default_output(base_meta["model"])
    check_output(out)

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    device = pick_device("auto")
    model.to(device)

    train_idx, held_idx = split_holdout(labels, holdout, rng)
    user_x = torch.from_numpy(np.stack([s.current_image() for s in samples])).unsqueeze(1)
    user_y = torch.from_numpy(labels)
    mnist_x, mnist_y = load_mnist("train", data_dir)
    test_x, test_y = load_mnist("test", data_dir)
    if mnist_limit:
        test_x, test_y = test_x[:mnist_limit], test_y[:mnist_limit]
    test_x, test_y = to_tensor(test_x), torch.from_numpy(test_y)
    report(f"{len(samples)} samples in {folder}: {len(train_idx)} to learn from, {len(held_idx)} held aside")

    def measure(when: str) -> tuple[float, float]:
        held_acc = accuracy(model, user_x[held_idx], user_y[held_idx], device)
        mnist_acc = accuracy(model, test_x, test_y, device)
        report(f"{when}: held-aside samples {100 * held_acc:.1f} %, MNIST test {100 * mnist_acc:.2f} %")
        return held_acc, mnist_acc

    held_before, mnist_before = measure("before")
    check_stop()

    train_with_replay(model, (user_x[train_idx], user_y[train_idx]), (mnist_x, mnist_y), epochs, lr, rng, generator,
                      device, report, check_stop)
    held_after, mnist_after = measure("after")
    record = {
        "base_weights": str(base.resolve()),
        "base_model": base_meta["model"],
        "samples_dir": str(folder.resolve()),
        "samples_per_digit": counts,
        "trained_per_digit": np.bincount(labels[train_idx], minlength=10).tolist(),
        "held_aside_per_digit": np.bincount(labels[held_idx], minlength=10).tolist(),
        "held_aside_acc_before": held_before,
        "held_aside_acc_after": held_after,
        "mnist_test_images": len(test_y),
        "mnist_test_acc_before": mnist_before,
        "mnist_test_acc_after": mnist_after,
        "epochs": epochs,
        "lr": lr,
        "holdout": holdout,
        "replay": REPLAY,
        "augment": asdict(LIGHT_AUGMENT),
        "seed": seed,
        "torch": str(torch.__version__),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    metadata = {
        "transform_version": TRANSFORM_VERSION,  # the samples and MNIST it learnt from went through it
        "date": record["date"],
        "finetune": record,
        "base": base_meta["metadata"],  # everything the base model's file said, for the record
    }
    save_weights(out, base_meta["model"], base_meta["config"], model, metadata)
    report(f"wrote {out}")
    return {"weights": str(out), **record, "skipped_files": warnings, "time_s": round(time.perf_counter() - start, 1)}


def describe(summary: dict) -> str:
    """The before/after figures in one line, for a terminal or the app's window."""
    return (
        f"your held-aside samples {100 * summary['held_aside_acc_before']:.1f} % -> "
        f"{100 * summary['held_aside_acc_after']:.1f} %, MNIST test {100 * summary['mnist_test_acc_before']:.2f} % -> "
        f"{100 * summary['mnist_test_acc_after']:.2f} %"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--samples", metavar="DIR",
                        help="samples folder (default: $DIGITNET_SAMPLES or the per-user one)")
    parser.add_argument("--weights", help="weights to start from (default: the best model in weights/)")
    parser.add_argument("--out", help="new weights file (default: a new file in the per-user weights folder)")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="passes over the samples to learn from")
    parser.add_argument("--lr", type=float, default=LR, help="peak learning rate, annealed to zero")
    parser.add_argument("--holdout", type=float, default=HOLDOUT, help="fraction of each digit's samples held aside")
    parser.add_argument("--data-dir",
                        help="folder with the MNIST .gz files (default: $DIGITNET_DATA or the user cache)")
    parser.add_argument("--mnist-limit", type=int, default=0, help="measure on the first N MNIST test images only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
