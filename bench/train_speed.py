"""Time to accuracy: train the `simple` CNN from scratch here, test accuracy after every epoch.

    python bench/train_speed.py --data-dir ../shared/data/mnist            # 6 epochs
    python bench/train_speed.py --epochs 8 --restroke 0.5 --target 0.993

It takes train's flags; its defaults are a short schedule (6 epochs) without the skeleton
redrawing (--restroke 0), whose one-off thinning of the training set costs ~45 s here, and
without the final test evaluation (this script measures the test set after every epoch).

Wall time counts everything from the start of the run (data loading included) to the end of
each epoch; the test-set evaluation after each epoch is timed separately and not counted.
"""

from __future__ import annotations

import tempfile
import time

import torch
from common import parser_for
from torch import nn

from digitnet.common.argtypes import fraction
from digitnet.common.errors import run_entry_point
from digitnet.data.mnist import load_mnist
from digitnet.model.weights import EpochRecord
from digitnet.train.config import TrainConfig, add_arguments, from_args
from digitnet.train.loop import train
from digitnet.train.trainer import accuracy, pick_device, to_tensor


class EpochClock:
    """Called after every epoch: test accuracy against the wall time spent training so far."""

    def __init__(self, config: TrainConfig, target: float):
        images, labels = load_mnist("test", config.data_dir)
        self.images, self.labels = to_tensor(images), torch.from_numpy(labels)
        self.device, self.target = pick_device(config.device), target
        self.start, self.excluded = time.perf_counter(), 0.0  # test evaluation is not training
        self.rows: list[tuple[int, float, float]] = []

    def __call__(self, model: nn.Module, record: EpochRecord) -> None:
        wall = time.perf_counter() - self.start - self.excluded
        t0 = time.perf_counter()
        acc = accuracy(model, self.images, self.labels, self.device)
        model.train()
        self.excluded += time.perf_counter() - t0
        self.rows.append((record.epoch, wall, acc))
        print(f"epoch {record.epoch}: {wall:6.1f} s wall, test accuracy {100 * acc:.2f} %",
              flush=True)

    def reached(self) -> tuple[int, float] | None:
        """(epoch, wall time) when the target was first reached."""
        return next(((epoch, wall) for epoch, wall, acc in self.rows if acc >= self.target), None)


def main(argv: list[str] | None = None) -> int:
    parser = parser_for(__doc__)
    add_arguments(parser, TrainConfig)
    parser.add_argument("--target", type=fraction, default=0.993,
                        help="test accuracy to report the time for")
    parser.set_defaults(epochs=6, restroke=0.0, test=False, out=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        args.out = args.out or tmp
        config = from_args(TrainConfig, args)
        clock = EpochClock(config, args.target)
        train(config, after_epoch=clock)
    print(f"model {config.model}, {config.epochs} epochs, batch {config.batch_size}, "
          f"{torch.get_num_threads()} threads")
    reached = clock.reached()
    if reached:
        print(f"time to {100 * args.target:.1f} % test accuracy: {reached[1]:.1f} s "
              f"(epoch {reached[0]})")
        return 0
    best = max(acc for _, _, acc in clock.rows)
    print(f"did not reach {100 * args.target:.1f} % (best {100 * best:.2f} %)")
    return 1


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
