"""Train the line reader (digitnet.model.sequence) from scratch on synthetic pages, on a CPU.

Every batch is new: pages of one training writer's numbers (digitnet.data.pages, training
writers and TRAINING_STRINGS/TRAINING_PAGES only) are made, their lines found as a reader
finds them (digitnet.reading.lines), and each line found is learnt with the text written there
(CTC); a line found where nothing was written is learnt as empty. The lines of a round of
`pool` batches are sorted by width and cut into batches, so little is padding.

Every `eval_every` steps the reader reads the lines of fixed tuning pages (the registry's
tuning writers, a seed of their own) and the weights that read most of them exactly are
exported to OUT/lines.pt, with their config and metadata: what they learnt from (sources,
writers, collections) and which fold served what. A checkpoint is written atomically at the
same time, so `--resume` continues a killed run exactly as it would have gone on.

    python -m digitnet.train.lines --out runs/lines --steps 8000
    python -m digitnet.train.lines --out runs/lines --steps 8000 --resume
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from digitnet import DigitnetError
from digitnet.common.argtypes import (
    SEEDS,
    int_range,
    non_negative_float,
    positive_float,
    positive_int,
)
from digitnet.common.atomic import atomic_write, check_writable
from digitnet.common.errors import run_entry_point
from digitnet.common.line_format import encode
from digitnet.common.records import RecordError, check_fields, from_plain, to_plain
from digitnet.data.hands import Hands, load_hands
from digitnet.data.mixture import source_files
from digitnet.data.mnist import MNIST_FILES
from digitnet.data.pages import Page, make_page, pick_spec
from digitnet.data.paper import TRAINING_PAGES
from digitnet.data.sources import SOURCES, Lookup
from digitnet.data.strings import TRAINING_STRINGS
from digitnet.model.registry import DROPOUT
from digitnet.model.sequence import (
    LineReader,
    LinesMetadata,
    SequenceConfig,
    batch_lines,
    save_line_weights,
)
from digitnet.model.weights import DataSource, load_tagged, utc_now
from digitnet.reading.line_matching import match_lines, strays
from digitnet.reading.lines import Lines, find_lines
from digitnet.reading.read_lines import best_path
from digitnet.reading.reject import calibrate
from digitnet.train.config import DATA_HELP, add_arguments, from_args, option

CHECKPOINT_FORMAT = "digitnet-lines-checkpoint"
TUNING_SEED = 2502  # the tuning pages' own seed: training draws from the run's --seed
REJECT_KEEP = 0.995  # the reject threshold keeps this share of the tuning lines' digits
WRITER_SOURCES = ("pendigits", "cvl")  # sources whose writers learned_from lists by number
Sample = tuple[np.ndarray, str]  # a line's image and its text


@dataclasses.dataclass(frozen=True)
class LinesTrainConfig:
    """Train the line reader from scratch on synthetic pages of the training writers' digits
    (digitnet.data.pages), with CTC: AdamW with a one-cycle schedule; the weights that read the
    most tuning lines exactly are exported to OUT/lines.pt. A checkpoint every --eval-every
    steps lets --resume continue a killed run exactly."""

    steps: int = option(8000, "optimiser steps", positive_int)
    batch_size: int = option(32, "lines per step", positive_int)
    lr: float = option(2e-3, "peak learning rate of the one-cycle schedule", positive_float)
    weight_decay: float = option(0.01, "AdamW's decoupled weight decay", non_negative_float)
    width: int = option(12, "channels of the CNN's first stage (then 2x, 4x, 6x)",
                        int_range(4, 128))
    hidden: int = option(64, "LSTM units each way (0: no LSTM)", int_range(0, 512))
    dropout: float = option(0.1, "dropout before the LSTM", DROPOUT)
    seed: int = option(0, "seeds the model and the training pages", SEEDS)
    pool: int = option(8, "batches made at a time, their lines sorted by width", positive_int)
    reuse: int = option(2, "times each line made is learnt, in different batches of its pool "
                        "(making lines costs as much as learning them)", positive_int)
    eval_every: int = option(400, "steps between tuning reads, exports and checkpoints "
                             "(a multiple of --pool)", positive_int)
    tune_pages: int = option(200, "tuning pages read to choose the exported weights",
                             positive_int)
    data_dir: str | None = option(None, DATA_HELP, metavar="DIR")
    out: str = option("runs/lines", "run folder: checkpoint, log, exported lines.pt",
                      metavar="DIR")
    threads: int = option(1, "torch threads", positive_int)

    def __post_init__(self) -> None:
        check_fields(self)
        if self.eval_every % self.pool:
            raise RecordError(f"eval_every ({self.eval_every}) must be a multiple of pool "
                              f"({self.pool})", "eval_every")

    @property
    def model(self) -> SequenceConfig:
        w = self.width
        return SequenceConfig((w, 2 * w, 4 * w, 6 * w), self.hidden, self.dropout)


def page_samples(page: Page, lines: Lines) -> list[Sample]:
    """What a page teaches: each line found with the text written there, and lines found
    where nothing was written as empty."""
    truth = [line.corners for line in page.lines]
    chosen = match_lines(truth, lines)
    samples = [(lines.lines[k].image, line.text)
               for k, line in zip(chosen, page.lines, strict=True) if k is not None]
    return samples + [(lines.lines[k].image, "") for k in strays(truth, lines)]


def make_round(rng: np.random.Generator, hands: Hands, config: LinesTrainConfig) -> list[
        list[Sample]]:
    """`pool` batches of new lines (each made `reuse` times over), each batch of lines of
    about one width, in random order."""
    total = config.pool * config.batch_size
    made: list[Sample] = []
    while len(made) * config.reuse < total:
        page = make_page(rng, hands, pick_spec(rng, TRAINING_STRINGS, TRAINING_PAGES),
                         TRAINING_STRINGS, TRAINING_PAGES)
        made += page_samples(page, find_lines(page.image))
    made.sort(key=lambda sample: sample[0].shape[1])
    # by width; each copy shifted by part of a batch, so a line's copies meet other lines
    shift = config.batch_size // config.reuse
    samples = [made[(k + copy * shift) % len(made)] for copy in range(config.reuse)
               for k in range(len(made))][:total]
    batches = [samples[i:i + config.batch_size] for i in range(0, total, config.batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def tuning_samples(hands: Hands, count: int) -> list[Sample]:
    """The lines of `count` tuning pages (the tuning writers, TUNING_SEED), as training's."""
    rng = np.random.default_rng(TUNING_SEED)
    samples: list[Sample] = []
    for _ in range(count):
        page = make_page(rng, hands, pick_spec(rng, TRAINING_STRINGS, TRAINING_PAGES),
                         TRAINING_STRINGS, TRAINING_PAGES)
        samples += page_samples(page, find_lines(page.image))
    return samples


def ctc_loss(model: nn.Module, batch: list[Sample]) -> torch.Tensor:
    images, lengths = batch_lines([image for image, _ in batch])
    log_probs = model(images).log_softmax(2).transpose(0, 1)  # [T, N, classes]
    targets = [torch.tensor(encode(text), dtype=torch.long) for _, text in batch]
    target_lengths = torch.tensor([len(t) for t in targets], dtype=torch.long)
    return F.ctc_loss(log_probs, torch.cat(targets), lengths, target_lengths,
                      zero_infinity=True)


@torch.inference_mode()
def read_texts(model: nn.Module, images: list[np.ndarray],
               batch_size: int = 64) -> list[tuple[str, list[float]]]:
    """Each line's text as read (the CTC best path) and its characters' confidences."""
    model.eval()
    order = np.argsort([image.shape[1] for image in images], kind="stable")
    read: list[tuple[str, list[float]]] = [("", [])] * len(images)
    for start in range(0, len(order), batch_size):
        chosen = order[start:start + batch_size]
        batch, lengths = batch_lines([images[i] for i in chosen])
        probs = torch.softmax(model(batch).float(), 2).numpy()
        for i, p, n in zip(chosen, probs, lengths.tolist(), strict=True):
            path = best_path(p[:n])
            read[i] = ("".join(c.char for c in path), [c.confidence for c in path])
    return read


def tuning_figures(model: nn.Module, samples: list[Sample]) -> tuple[float, float | None]:
    """The share of tuning lines read exactly, and the reject threshold that keeps
    REJECT_KEEP of the digits of the lines read exactly (None if there are none)."""
    read = read_texts(model, [image for image, _ in samples])
    right = [(text, confidences) for (text, confidences), (_, truth)
             in zip(read, samples, strict=True) if text == truth]
    confidences = [c for text, cs in right for c, char in zip(cs, text, strict=True)
                   if char.isdigit()]
    threshold = calibrate(np.array(confidences), REJECT_KEEP) if confidences else None
    return len(right) / max(len(samples), 1), threshold


def learned_from(hands: Hands, lookup: Lookup) -> tuple[DataSource, ...]:
    """What the weights learn from, as digitnet.train.training_data records it: writers by
    number where they are numbered, one entry per collection for UNIPEN, else the source alone."""
    found = []
    for name, groups in hands.groups.items():
        files = (dict(MNIST_FILES) if name == "mnist" else source_files(name, lookup)
                 if name in SOURCES else {})  # else made on the spot
        if name.startswith("unipen"):
            providers, counts = np.unique([g.split("/")[0] for g in groups.tolist()],
                                          return_counts=True)
            found += [DataSource(f"{name}/{p}", files, int(c))
                      for p, c in zip(providers.tolist(), counts.tolist(), strict=True)]
            continue
        writers = tuple(sorted({int(g) for g in groups})) if name in WRITER_SOURCES else ()
        found.append(DataSource(name, files, len(groups), writers))
    return tuple(found)


FOLDS_USED = {"train": "the training writers' strings and pages (TRAINING_STRINGS, "
                       "TRAINING_PAGES, the run's seed)",
              "tune": f"the exported step and the reject threshold: {TUNING_SEED}-seeded "
                      "pages of the tuning writers, in training's styles",
              "benchmark": "never seen (bench/pages.py: BENCHMARK_STRINGS, BENCHMARK_PAGES)"}


@dataclasses.dataclass
class Run:
    """A run's state between steps: all a checkpoint holds."""

    model: LineReader
    optimizer: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.OneCycleLR
    rng: np.random.Generator
    step: int = 0
    best: float = -1.0
    elapsed_s: float = 0.0
    history: list[dict[str, float]] = dataclasses.field(default_factory=list)


def new_run(config: LinesTrainConfig) -> Run:
    torch.manual_seed(config.seed)
    model = LineReader(config.model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr,
                                  weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr,
                                                   total_steps=config.steps, pct_start=0.1)
    return Run(model, optimizer, schedule, np.random.default_rng(config.seed))


def save_checkpoint(path: Path, config: LinesTrainConfig, run: Run) -> None:
    payload = {"format": CHECKPOINT_FORMAT, "config": to_plain(config), "step": run.step,
               "best": run.best, "elapsed_s": run.elapsed_s, "history": run.history,
               "model": run.model.state_dict(), "optimizer": run.optimizer.state_dict(),
               "schedule": run.schedule.state_dict(), "rng": run.rng.bit_generator.state,
               "torch_rng": torch.get_rng_state()}
    atomic_write(path, lambda tmp: torch.save(payload, tmp))


def resume_run(path: Path, config: LinesTrainConfig) -> Run:
    """The run a checkpoint holds, if it was made with the same settings."""
    if not path.is_file():
        raise DigitnetError(f"--resume: no checkpoint in {path.parent}")
    payload = load_tagged(path, CHECKPOINT_FORMAT, "line reader's checkpoint", DigitnetError)
    try:
        stored = from_plain(LinesTrainConfig, payload.get("config"), "checkpoint.config")
    except RecordError as e:
        raise DigitnetError(f"{path}: {e}") from None
    free = {"data_dir", "out", "threads"}
    changed = [f.name for f in dataclasses.fields(config)
               if f.name not in free and getattr(stored, f.name) != getattr(config, f.name)]
    if changed:
        raise DigitnetError(f"--resume: {path.parent} was trained with other settings "
                            f"({', '.join('--' + c.replace('_', '-') for c in changed)})")
    run = new_run(config)
    run.model.load_state_dict(payload["model"])
    run.optimizer.load_state_dict(payload["optimizer"])
    run.schedule.load_state_dict(payload["schedule"])
    run.rng.bit_generator.state = payload["rng"]
    torch.set_rng_state(payload["torch_rng"])
    run.step, run.best = int(payload["step"]), float(payload["best"])
    run.elapsed_s, run.history = float(payload["elapsed_s"]), list(payload["history"])
    return run


def train_lines(config: LinesTrainConfig, resume: bool = False,
                log: Any = sys.stderr) -> Path:
    """Train as the config says; the path of the exported weights."""
    torch.set_num_threads(config.threads)
    out = Path(config.out)
    checkpoint = out / "checkpoint.pt"
    if not resume and checkpoint.exists():
        raise DigitnetError(f"{out} holds a run already: --resume it, or choose another --out")
    check_writable(out, 50_000_000)
    lookup = Lookup(config.data_dir)
    hands, tuning = load_hands("train", lookup), load_hands("tune", lookup)
    tune = tuning_samples(tuning, config.tune_pages)
    run = resume_run(checkpoint, config) if resume else new_run(config)
    sources = learned_from(hands, lookup)
    while run.step < config.steps:
        started = time.perf_counter()
        losses = []
        run.model.train()
        for batch in make_round(run.rng, hands, config):
            loss = ctc_loss(run.model, batch)
            run.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(run.model.parameters(), 5.0)
            run.optimizer.step()
            run.schedule.step()
            losses.append(float(loss.detach()))
            run.step += 1
            if run.step >= config.steps:
                break
        run.elapsed_s += time.perf_counter() - started
        if run.step % config.eval_every and run.step < config.steps:
            continue
        exact, threshold = tuning_figures(run.model, tune)
        record = {"step": run.step, "loss": float(np.mean(losses)), "tune_exact": exact,
                  "lr": float(run.schedule.get_last_lr()[0]), "elapsed_s": run.elapsed_s}
        run.history.append(record)
        print(f"step {run.step}: loss {record['loss']:.3f}, tuning lines exact {exact:.2%}, "
              f"{run.elapsed_s / 60:.0f} min", file=log, flush=True)
        if exact > run.best:
            run.best = exact
            export(out / "lines.pt", run, config, sources, threshold, len(tune))
        save_checkpoint(checkpoint, config, run)
    return out / "lines.pt"


def export(path: Path, run: Run, config: LinesTrainConfig, sources: tuple[DataSource, ...],
           threshold: float | None, tune_lines: int) -> None:
    metadata = LinesMetadata(
        date=utc_now(), torch=str(torch.__version__), learned_from=sources,
        folds={**FOLDS_USED, "tune_lines": str(tune_lines)}, training=to_plain(config),
        steps=run.step, train_time_s=run.elapsed_s, tune_exact=run.best,
        reject_threshold=threshold, history=tuple(run.history))
    save_line_weights(path, run.model, config.model, metadata)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m digitnet.train.lines",
                                     description=LinesTrainConfig.__doc__)
    add_arguments(parser, LinesTrainConfig)
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its checkpoint (same flags)")
    args = parser.parse_args(argv)

    def command() -> int:
        config = from_args(LinesTrainConfig, args)
        print(f"exported {train_lines(config, args.resume)}")
        return 0

    return run_entry_point(command)


if __name__ == "__main__":
    raise SystemExit(main())

