"""What the predict tests share: predict run in this process or in a new Python, its JSON read
strictly, and MNIST test digits written as a number on paper."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from helpers import REPO_ROOT

from digitnet.cli.main import main

CUTTER = ("--reader", "digits")  # for what the digit network and the cutter do alone


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "digitnet", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


def predict(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`digitnet predict ARGS` in this process: (exit code, stdout, stderr)."""
    code = main(["predict", *args])
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(text: str) -> list[dict]:
    """Each line parsed as strict JSON (no NaN or Infinity)."""
    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return [json.loads(line, parse_constant=refuse) for line in text.splitlines()]


def number_page(mnist_digits: dict[int, np.ndarray], number: str) -> np.ndarray:
    """MNIST test digits side by side (their 28x28 frames a few pixels apart; a digit that comes
    again is another writer's), enlarged and written dark on white paper with a wide margin."""
    gap = np.zeros((28, 4), np.uint8)
    images = [mnist_digits[int(digit)][number[:k].count(digit)] for k, digit in enumerate(number)]
    row = np.hstack([part for image in images for part in (image, gap)][:-1])
    return 255 - cv2.copyMakeBorder(cv2.resize(row, None, fx=4, fy=4), 60, 60, 80, 80,
                                    cv2.BORDER_CONSTANT)
