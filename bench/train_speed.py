"""Time to accuracy: train the `simple` CNN from scratch on this machine, test accuracy after every epoch.

    python bench/train_speed.py --data-dir ../shared/data/mnist            # 6 epochs
    python bench/train_speed.py --epochs 8 --restroke 0.5 --target 0.993

It takes train's flags; its defaults are a short schedule (6 epochs) without the skeleton
redrawing (--restroke 0), whose one-off thinning of the training set costs ~45 s here.

Wall time counts everything from the start of the run (data loading included) to the end of
each epoch; the test-set evaluation after each epoch is timed separately and not counted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digitnet import train  # noqa: E402
from digitnet.errors import run_entry_point  # noqa: E402
from digitnet.data import load_mnist  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_arguments(parser)
    parser.add_argument("--target", type=float, default=0.993, help="test accuracy to report the time for")
    parser.set_defaults(epochs=6, restroke=0.0, out=None)
    args = parser.parse_args(argv)
    test_x, test_y = load_mnist("test", args.data_dir)
    test_x, test_y = train.to_tensor(test_x), torch.from_numpy(test_y)
    device = train.pick_device(args.device)

    start = time.perf_counter()
    excluded = 0.0  # time spent on test-set evaluation, not part of training
    reached = None
    rows = []

    def after_epoch(model, record):
        nonlocal excluded, reached
        wall = time.perf_counter() - start - excluded
        t0 = time.perf_counter()
        acc = train.accuracy(model, test_x, test_y, device)
        model.train()
        excluded += time.perf_counter() - t0
        rows.append((record["epoch"], wall, acc))
        print(f"epoch {record['epoch']}: {wall:6.1f} s wall, test accuracy {100 * acc:.2f} %", flush=True)
        if reached is None and acc >= args.target:
            reached = (record["epoch"], wall)

    with tempfile.TemporaryDirectory() as tmp:
        args.out = args.out or tmp
        train.run(args, after_epoch=after_epoch)
    cores = torch.get_num_threads()
    print(f"model {args.model}, {args.epochs} epochs, batch {args.batch_size}, {cores} threads")
    if reached:
        print(f"time to {100 * args.target:.1f} % test accuracy: {reached[1]:.1f} s (epoch {reached[0]})")
    else:
        print(f"did not reach {100 * args.target:.1f} % (best {100 * max(r[2] for r in rows):.2f} %)")
    return 0 if reached else 1


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
