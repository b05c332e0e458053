import json
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest

from conftest import REPO_ROOT
from digitnet.data import load_mnist


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "digitnet", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def digit_files(tmp_path_factory, mnist_dir):
    """The first test digit of each class, enlarged onto a canvas, in both polarities and three formats."""
    folder = tmp_path_factory.mktemp("digits")
    images, labels = load_mnist("test", mnist_dir)
    files = {}
    for digit in range(10):
        image = images[np.flatnonzero(labels == digit)[0]]
        canvas = cv2.copyMakeBorder(cv2.resize(image, (140, 140)), 30, 30, 50, 10, cv2.BORDER_CONSTANT)
        files[str(folder / f"light{digit}.png")] = digit
        cv2.imwrite(str(folder / f"light{digit}.png"), canvas)
        dark_name = str(folder / (f"dark{digit}.jpg" if digit % 2 else f"dark{digit}.bmp"))
        cv2.imwrite(dark_name, cv2.cvtColor(255 - canvas, cv2.COLOR_GRAY2BGR))
        files[dark_name] = digit
    return files


def test_predict_json_on_real_digits_in_both_polarities(digit_files, shipped_weights):
    result = run_cli("predict", "--json", "--weights", str(shipped_weights), *digit_files)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(digit_files)
    correct = 0
    for record in records:
        assert set(record) == {"file", "digit", "confidence", "probs"}
        assert len(record["probs"]) == 10 and sum(record["probs"]) == pytest.approx(1, abs=1e-4)
        assert record["confidence"] == max(record["probs"])
        correct += record["digit"] == digit_files[record["file"]]
    assert correct >= len(digit_files) - 1


def test_predict_text_output_and_default_weights(digit_files):
    files = sorted(digit_files)[:3]
    result = run_cli("predict", *files)
    assert result.returncode == 0, result.stderr
    for name, line in zip(files, result.stdout.splitlines()):
        assert re.fullmatch(rf"{re.escape(name)}: \d \((0|1)\.\d{{3}}\)", line)


def test_broken_and_missing_files_fail_alone(tmp_path, digit_files, untrained_weights):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((100, 100), 255, np.uint8))
    good = next(iter(digit_files))
    result = run_cli("predict", "--json", "--weights", str(untrained_weights),
                     str(broken), good, str(tmp_path / "missing.png"), str(blank))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: {broken}: not a readable image",
        f"error: {tmp_path / 'missing.png'}: no such file",
    ]
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in records] == [good, str(blank)]
    assert records[1]["digit"] is None and records[1]["confidence"] == 0


def test_forced_polarity(digit_files, shipped_weights):
    light = [f for f in digit_files if "light" in f][:3]
    right = run_cli("predict", "--json", "--invert", "no", "--weights", str(shipped_weights), *light)
    digits = [json.loads(line)["digit"] for line in right.stdout.splitlines()]
    assert digits == [digit_files[f] for f in light]


@pytest.mark.parametrize("args, message", [
    (["predict", "--weights", "nope.pt", "x.png"], "error: nope.pt: weights file not found"),
    (["train", "--data-dir", "{empty}", "--epochs", "1"], "error: MNIST is not in"),
])
def test_user_errors_are_one_line(tmp_path, args, message):
    result = run_cli(*[a.format(empty=tmp_path) for a in args])
    assert result.returncode == 2
    assert result.stderr.strip().startswith(message) and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["predict", "train"])
def test_help(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0 and "usage:" in result.stdout
