"""Train a registered CNN on MNIST: one plain loop, everything a flag.

Validation is a fixed slice of the training set held out by seed; the best epoch on it is
exported. The test set is only evaluated once, on that exported model, for the record.
A full checkpoint is written atomically after every epoch, so `--resume` continues a
killed run and reproduces the uninterrupted one exactly.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from digitnet import DigitnetError
from digitnet.atomic import atomic_write
from digitnet.augment import Augment, add_continental_marks, skeletons_2x
from digitnet.data import MNIST_FILES, load_mnist
from digitnet.models import MODELS, create_model
from digitnet.preprocess import TRANSFORM_VERSION
from digitnet.weights import full_history, load_weights, save_weights

VALIDATION_SIZE = 5000


def pick_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise DigitnetError("--device cuda: no CUDA device is available")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise DigitnetError("--device mps: no Apple MPS device is available")
    return torch.device(name)


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 [N, 28, 28] -> float [N, 1, 28, 28] in [0, 1]."""
    return torch.from_numpy(images).float().div_(255).unsqueeze(1)


def split_train_val(images: np.ndarray, labels: np.ndarray, val_size: int, seed: int):
    order = np.random.default_rng(seed).permutation(len(images))
    val, train = order[:val_size], order[val_size:]
    return (images[train], labels[train]), (images[val], labels[val])


@torch.inference_mode()
def predict_logits(model: nn.Module, images: torch.Tensor, device: torch.device, batch_size: int = 1000) -> torch.Tensor:
    model.eval()
    return torch.cat([model(images[i : i + batch_size].to(device)).float().cpu() for i in range(0, len(images), batch_size)])


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, device: torch.device) -> float:
    return (predict_logits(model, images, device).argmax(1) == labels).float().mean().item()


class Progress:
    """A one-line progress bar on stderr: batches done, loss, accuracy, images/s."""

    def __init__(self, total: int, label: str, stream=sys.stderr):
        """stream=None draws nothing (a caller that reports per epoch itself)."""
        self.total, self.label, self.stream = total, label, stream
        self.start = time.perf_counter()
        self.last_draw = 0.0

    def update(self, done: int, seen: int, loss: float, acc: float, final: bool = False) -> None:
        now = time.perf_counter()
        if self.stream is None or not self.stream.isatty() or (not final and now - self.last_draw < 0.5):
            return  # logs get the per-epoch summary line only
        self.last_draw = now
        width = 24
        filled = int(width * done / self.total)
        rate = seen / max(now - self.start, 1e-9)
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} "
            f"loss {loss:.4f} acc {acc:.4f} {rate:,.0f} img/s"
        )
        if final:
            self.stream.write("\n")
        self.stream.flush()


def train_one_epoch(model, optimizer, scheduler, images, labels, augment, generator, batch_size, device, label,
                    ema: AveragedModel | None = None, skeletons: torch.Tensor | None = None, progress_stream=sys.stderr):
    model.train()
    order = torch.randperm(len(images), generator=generator)
    n_batches = math.ceil(len(images) / batch_size)
    progress = Progress(n_batches, label, progress_stream)
    total_loss, correct, seen = 0.0, 0, 0
    for i in range(n_batches):
        idx = order[i * batch_size : (i + 1) * batch_size]
        x = (augment(images[idx], generator) if skeletons is None
             else augment(images[idx], generator, skeletons[idx])).to(device)
        y = labels[idx].to(device)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        if ema is not None:
            ema.update_parameters(model)
        total_loss += loss.item() * len(idx)
        correct += (logits.argmax(1) == y).sum().item()
        seen += len(idx)
        progress.update(i + 1, seen, total_loss / seen, correct / seen, final=i + 1 == n_batches)
    return total_loss / seen, correct / seen, seen / (time.perf_counter() - progress.start)


def run_config(args: argparse.Namespace) -> dict:
    """The flags that define a run (plain values only: checkpoints load with weights_only=True)."""
    flags = {k: v for k, v in vars(args).items() if k not in ("func", "resume")}
    return {k: str(v) if isinstance(v, os.PathLike) else v for k, v in flags.items()}


def _rng_state(generator: torch.Generator) -> dict:
    return {"generator": generator.get_state(), "torch": torch.get_rng_state()}


def _set_rng_state(generator: torch.Generator, state: dict) -> None:
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch"])


def _tensorboard(run_dir: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(run_dir / "tensorboard"))


def start_from(args: argparse.Namespace) -> tuple[nn.Module, dict, dict]:
    """--init: the model, config and a record of the weights file a run continues training from.

    The file must hold --model, and have been trained with this --seed: the seed picks the
    validation images, which must stay unseen for the best-epoch choice to mean anything.
    """
    model, meta = load_weights(args.init)
    base = meta["metadata"]
    if meta["model"] != args.model:
        raise DigitnetError(f"--init {args.init} holds a {meta['model']} model, not --model {args.model}")
    if args.dropout is not None:
        raise DigitnetError("--dropout cannot change the model of --init weights")
    base_seed = base.get("train_args", {}).get("seed")
    if base_seed != args.seed:
        raise DigitnetError(f"--init {args.init} was trained with seed {base_seed}: pass --seed {base_seed}, "
                            "so that its validation images stay held out")
    record = {"path": str(args.init), "test_acc": base.get("test_acc"), "val_acc": base.get("val_acc"),
              "train_args": base.get("train_args"), "date": base.get("date"), "history": full_history(base)[0]}
    return model, meta["config"], record


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


def run(args: argparse.Namespace, after_epoch: Callable[[nn.Module, dict], None] | None = None) -> dict:
    """Train as `args` says; return the summary written beside the exported weights."""
    if not 0 < args.blend <= 1 or (args.blend < 1 and not args.init):
        raise DigitnetError("--blend takes a share in (0, 1], and below 1 needs --init weights to blend with")
    torch.manual_seed(args.seed)
    device = pick_device(args.device)
    run_dir = Path(args.out)
    run_dir.mkdir(parents=True, exist_ok=True)
    checkpoint_path = run_dir / "checkpoint.pt"
    metrics_path = run_dir / "metrics.jsonl"

    images, labels = load_mnist("train", args.data_dir)
    if args.limit:
        images, labels = images[: args.limit], labels[: args.limit]
    val_size = min(VALIDATION_SIZE, len(images) // 10)
    (train_x_uint8, train_y), (val_x, val_y) = split_train_val(images, labels, val_size, args.seed)
    train_x, val_x = to_tensor(train_x_uint8), to_tensor(val_x)
    train_y, val_y = torch.from_numpy(train_y), torch.from_numpy(val_y)

    if args.init:
        model, config, init_record = start_from(args)
        init_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    else:
        config = {"dropout": args.dropout} if args.dropout is not None else {}
        model, init_record, init_state = create_model(args.model, **config), None, None
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    total_steps = args.epochs * math.ceil(len(train_x) / args.batch_size)
    if total_steps < 3:
        raise DigitnetError(f"{total_steps} training steps are too few for the one-cycle schedule: "
                            "use more --epochs or a smaller --batch-size")
    scheduler = torch.optim.lr_scheduler.OneCycleLR(  # warm-up: a fifth of the run, at least 1.5 steps
        optimizer, max_lr=args.lr, total_steps=total_steps, pct_start=min(max(0.2, 2.5 / total_steps), 0.9)
    )
    # an exponential moving average of the weights generalises a little better than the last step
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(args.ema), use_buffers=True) if args.ema else None
    evaluated = ema.module if ema else model
    generator = torch.Generator().manual_seed(args.seed)
    augment = Augment(restroke_prob=args.restroke) if args.augment else (lambda x, g: x)
    skeletons = skeletons_2x(train_x_uint8) if args.augment and args.restroke > 0 else None
    if skeletons is not None and args.continental > 0:
        skeletons = add_continental_marks(skeletons, train_y, args.continental, args.seed)
    state = {"epoch": 0, "best_val_acc": -1.0, "best_epoch": 0, "best_state": None, "elapsed_s": 0.0, "history": []}

    if args.resume:
        if not checkpoint_path.exists():
            raise DigitnetError(f"--resume: no checkpoint in {run_dir}")
        ckpt = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
        if ckpt["args"]["model"] != args.model or ckpt["args"]["epochs"] != args.epochs:
            raise DigitnetError(f"--resume: {checkpoint_path} was made with different --model/--epochs")
        model.load_state_dict(ckpt["model"])
        if ema:
            ema.load_state_dict(ckpt["ema"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        _set_rng_state(generator, ckpt["rng"])
        state = ckpt["state"]
        print(f"resumed {checkpoint_path} after epoch {state['epoch']}", file=sys.stderr)
    elif metrics_path.exists():
        metrics_path.unlink()  # a fresh run starts a fresh log

    writer = _tensorboard(run_dir)
    for epoch in range(state["epoch"] + 1, args.epochs + 1):
        start = time.perf_counter()
        loss, train_acc, rate = train_one_epoch(
            model, optimizer, scheduler, train_x, train_y, augment, generator, args.batch_size, device,
            f"epoch {epoch}/{args.epochs}", ema, skeletons,
        )
        val_acc = accuracy(evaluated, val_x, val_y, device)
        state["elapsed_s"] += time.perf_counter() - start
        state["epoch"] = epoch
        if args.select == "last" or val_acc > state["best_val_acc"]:
            state.update(best_val_acc=val_acc, best_epoch=epoch,
                         best_state={k: v.detach().cpu().clone() for k, v in evaluated.state_dict().items()})
        record = {"epoch": epoch, "train_loss": loss, "train_acc": train_acc, "val_acc": val_acc,
                  "lr": scheduler.get_last_lr()[0], "images_per_s": rate, "elapsed_s": state["elapsed_s"]}
        print(f"epoch {epoch}: loss {loss:.4f} train {train_acc:.4f} val {val_acc:.4f} ({rate:,.0f} img/s)",
              file=sys.stderr)
        state["history"].append(record)
        with open(metrics_path, "a") as f:
            f.write(json.dumps(record) + "\n")
        if writer:
            for key in ("train_loss", "train_acc", "val_acc", "lr"):
                writer.add_scalar(key, record[key], epoch)
        ckpt = {"args": run_config(args), "model": model.state_dict(), "ema": ema.state_dict() if ema else None,
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "rng": _rng_state(generator), "state": state}
        atomic_write(checkpoint_path, lambda tmp: torch.save(ckpt, tmp))
        if after_epoch:
            after_epoch(evaluated, record)
    if writer:
        writer.close()

    evaluated.load_state_dict(state["best_state"])
    if args.blend < 1:
        blend_weights(evaluated, init_state, args.blend)
        state["best_val_acc"] = accuracy(evaluated, val_x, val_y, device)
    test_x, test_y = load_mnist("test", args.data_dir)
    test_acc = accuracy(evaluated, to_tensor(test_x), torch.from_numpy(test_y), device)
    summary = {
        "model": args.model,
        "best_epoch": state["best_epoch"],
        "val_acc": state["best_val_acc"],
        "test_acc": test_acc,
        "train_time_s": round(state["elapsed_s"], 1),
        "history": state["history"],  # per-epoch metrics, for the training-curve report
        "init": init_record,
        "train_args": run_config(args),
        "augment": asdict(Augment(restroke_prob=args.restroke)) if args.augment else None,
        "transform_version": TRANSFORM_VERSION,
        "mnist_md5": dict(MNIST_FILES),
        "torch": str(torch.__version__),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    weights_path = run_dir / f"{args.model}.pt"
    save_weights(weights_path, args.model, config, evaluated.cpu(), summary)
    blended = f", {100 * args.blend:.0f} % blended with --init" if args.blend < 1 else ""
    print(f"exported epoch {state['best_epoch']}{blended}: val {state['best_val_acc']:.4f}, test {test_acc:.4f} "
          f"-> {weights_path}", file=sys.stderr)
    return summary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", choices=list(MODELS), default="simple")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3, help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--weight-decay", type=float, default=0.05, help="AdamW's decoupled weight decay")
    parser.add_argument("--dropout", type=float, default=None, help="override the model's dropout")
    parser.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                        help="evaluate and export an exponential moving average of the weights (e.g. 0.999); 0: off")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-augment", dest="augment", action="store_false", help="train on plain MNIST")
    parser.add_argument("--restroke", type=float, default=0.5, metavar="P",
                        help="share of digits redrawn from their skeleton with a round brush, like mouse drawings")
    parser.add_argument("--continental", type=float, default=0.0, metavar="P",
                        help="share of 1s and 7s redrawn with a flag on the 1 or a bar through the 7 "
                             "(needs --restroke)")
    parser.add_argument("--init", metavar="WEIGHTS",
                        help="start from these weights (same --model and --seed) instead of from scratch")
    parser.add_argument("--select", choices=["val", "last"], default="val",
                        help="export the epoch with the best validation accuracy, or the last one (for fine-tunes "
                             "that teach what the MNIST validation split cannot measure, such as --continental)")
    parser.add_argument("--blend", type=float, default=1.0, metavar="SHARE",
                        help="with --init: export SHARE of the fine-tuned weights plus the rest of the --init "
                             "weights (WiSE-FT); 1: the fine-tuned weights alone")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N training images (smoke tests)")
    parser.add_argument("--data-dir", help="folder with the MNIST .gz files (default: $DIGITNET_DATA or the user cache)")
    parser.add_argument("--out", default="runs/latest", help="run folder: checkpoint, metrics.jsonl, exported weights")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto")
