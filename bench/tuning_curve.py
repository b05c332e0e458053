"""Tuning curves: train with train's flags and measure the tuning folds after every epoch.

    python bench/tuning_curve.py --pen 3 --pen-hold-out 1 --unipen 2 --cvl 3 --letters 15000 \
        --epochs 12 --epoch-images 70000 --out runs/curve

Per epoch: the accuracy on the tuning writers' digits of pendigits, UNIPEN and CVL and on
MNIST's validation images, and, at the threshold `train` would store (the highest that keeps
--reject-keep of each of those), the share of the tuning folds' letters, Omniglot characters,
Quick, Draw! doodles and generated non-digits rejected. One run shows where more epochs stop
paying, for choosing a schedule and a mixture on the tuning folds, never on the benchmark's.
The drawings are drawn once, as the app's path draws them (strokes.APP_STYLE, scans as
`predict` reads paper), and read by the model alone (the speck test aside: no specks here).
"""

from __future__ import annotations

import json

import numpy as np
import torch
from common import parser_for
from torch import nn

from digitnet import DigitnetError
from digitnet.common.errors import run_entry_point
from digitnet.data.folds import inputs
from digitnet.data.scribbles import SPECK_KINDS
from digitnet.data.sources import PENDIGITS_TUNING_FOLD, Lookup, load_fold
from digitnet.data.strokes import APP_STYLE
from digitnet.model.weights import EpochRecord
from digitnet.reading.reject import calibrate
from digitnet.train.config import TrainConfig, add_arguments, from_args
from digitnet.train.loop import TUNING_SEED, train
from digitnet.train.trainer import pick_device, predict_logits, to_tensor

DIGITS = ("pendigits", "unipen-digits", "cvl")
OTHERS = ("unipen-letters", "omniglot", "quickdraw", "scribbles")


class TuningCurve:
    """Called after every epoch: the tuning folds' figures, one JSON line each."""

    def __init__(self, config: TrainConfig):
        lookup = Lookup(config.data_dir, config.seed)
        self.sets: dict[str, tuple[torch.Tensor, np.ndarray]] = {}
        for name in ("mnist", *DIGITS, *OTHERS):
            fold = load_fold(name, "tune", lookup)
            if name == "scribbles":
                fold = fold.where(~np.isin(fold.groups, SPECK_KINDS))
            self.sets[name] = (to_tensor(inputs(fold, APP_STYLE, TUNING_SEED)), fold.labels)
        self.device, self.keep = pick_device(config.device), config.reject_keep

    def __call__(self, model: nn.Module, record: EpochRecord) -> None:
        probs = {name: predict_logits(model, images, self.device).softmax(1).numpy()
                 for name, (images, _) in self.sets.items()}
        model.train()
        digits = ("mnist", *DIGITS)
        threshold = min(calibrate(probs[name].max(1), self.keep) for name in digits)
        row: dict[str, float] = {"epoch": record.epoch, "threshold": round(threshold, 4)}
        for name in digits:
            row[name] = round(float((probs[name].argmax(1) == self.sets[name][1]).mean()), 4)
        for name in OTHERS:
            row[f"{name} rejected"] = round(float((probs[name].max(1) < threshold).mean()), 4)
        print(json.dumps(row), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = parser_for(__doc__)
    add_arguments(parser, TrainConfig)
    parser.set_defaults(test=False)
    config = from_args(TrainConfig, parser.parse_args(argv))
    if config.pen and config.pen_hold_out != PENDIGITS_TUNING_FOLD:
        raise DigitnetError(f"--pen learns pendigits' tuning writers: pass --pen-hold-out "
                            f"{PENDIGITS_TUNING_FOLD}")
    train(config, after_epoch=TuningCurve(config))
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
