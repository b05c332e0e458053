"""The registry, torch-free: the networks digitnet builds and the weights files it ships, each
fact said once (the command line offers them, and `digitnet train --help` needs no torch).

- A network is a name of `MODEL_NAMES`: `digitnet train --model NAME` builds it, and
  digitnet.model.networks registers a class under each name. `DROPOUT` is the range its
  dropout takes.
- A shipped weights file is NAME.pt in the shipped folder (digitnet.common.paths.weights_path):
  one per network, named after the network it holds, so the app's `--model NAME` means that
  network's shipped file; `DEFAULT_MODEL`'s is the best, the one the app, predict and finetune
  use unless told (`default_weights`). `LINE_READER`'s holds the line reader
  (digitnet.model.sequence), which is no registered network.
"""

from pathlib import Path

from digitnet.common.argtypes import float_range
from digitnet.common.paths import weights_path

MODEL_NAMES = ("simple", "improved")
DROPOUT = float_range(0, 1, high_inclusive=False)
DEFAULT_MODEL = "improved"  # the best shipped model
LINE_READER = "lines"  # the shipped line reader: lines.pt


def default_weights() -> Path:
    """The best shipped weights file present: DEFAULT_MODEL's, else any other shipped one."""
    for name in [DEFAULT_MODEL, *MODEL_NAMES]:
        if weights_path(name).is_file():
            return weights_path(name)
    return weights_path(DEFAULT_MODEL)
