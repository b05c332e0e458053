"""Training on several processes: two CPU processes under torchrun (gloo) learn what one does."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from digitnet.model.classifier import Classifier
from digitnet.train.config import TrainConfig
from digitnet.train.distributed import Shard
from digitnet.train.loop import train

BASE = TrainConfig(limit=3000, epochs=2, batch_size=64, restroke=0.0, test=False)
FLAGS = ["--limit=3000", "--epochs=2", "--batch-size=64", "--restroke=0", "--no-test"]


def test_each_process_takes_its_rows_of_every_batch():
    shards = [Shard(rank, 3) for rank in range(3)]
    rows = [list(range(10))[s.rows(10)] for s in shards]
    assert rows == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]] and shards[0].main and not shards[1].main


def test_two_processes_under_torchrun_match_one(mnist_dir: Path, tmp_path: Path):
    env = {**os.environ, "DIGITNET_DATA": str(mnist_dir)}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
               "2", "-m", "digitnet", "train", *FLAGS, "--out", str(tmp_path / "two")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.count("exported epoch") == 1  # one process writes
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        alone = train(dataclasses.replace(BASE, data_dir=str(mnist_dir), out=str(tmp_path / "one")))
    finally:
        torch.set_num_threads(threads)
    two = Classifier.load(tmp_path / "two" / "simple.pt", threads=None).metadata
    assert two.training is not None and alone.training is not None
    assert not two.training.differences(alone.training) and len(two.history) == 2
    assert not two.training.differences(BASE)  # the flags say what the test's config says
    # the same steps on the same batches: the same accuracy, within the noise of 300 images
    assert alone.val_acc is not None and two.val_acc is not None
    assert two.val_acc == pytest.approx(alone.val_acc, abs=0.03) and two.val_acc > 0.9
