"""The command line's shell: fast help, the error boundary, closed pipes, flag ranges."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import REPO_ROOT

from digitnet import DigitnetError
from digitnet.cli.choose import Readers
from digitnet.cli.main import build_parser, main, read_file
from digitnet.common.argtypes import float_range, fraction, int_range, positive_int
from digitnet.common.errors import DEBUG_ENV_VAR, run_entry_point

COMMANDS = ["predict", "train", "evaluate", "finetune", "app"]


def python(code: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})}, **kwargs)


def white_png(path: Path) -> Path:
    cv2.imwrite(str(path), np.full((8, 8), 255, np.uint8))
    return path


HELP_WITHOUT_TORCH = """
import sys
from digitnet.cli.main import main
try:
    code = main({argv!r})
except SystemExit as exit:
    code = exit.code
print("exit", code, "torch" in sys.modules)
"""


@pytest.mark.parametrize("argv", [["--help"], ["--version"]] + [[c, "--help"] for c in COMMANDS])
def test_help_imports_no_torch(argv: list[str]) -> None:
    result = python(HELP_WITHOUT_TORCH.format(argv=argv))
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout or "digitnet " in result.stdout
    assert result.stdout.splitlines()[-1] == "exit 0 False"


def test_app_without_a_display_imports_no_torch() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run([sys.executable, "-c", HELP_WITHOUT_TORCH.format(argv=["app"])],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert result.stdout.splitlines()[-1] == "exit 2 False"
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
    assert result.stderr.endswith(": xvfb-run -a digitnet app\n")  # the command used


def test_the_no_display_hint_names_python_m_when_started_so() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run([sys.executable, "-m", "digitnet", "app"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 2
    assert result.stderr.endswith(": xvfb-run -a python -m digitnet app\n"), result.stderr


def test_every_command_is_listed_and_python_m_names_itself() -> None:
    result = subprocess.run([sys.executable, "-m", "digitnet", "--help"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("usage: python -m digitnet ")
    for command in COMMANDS:
        assert f"    {command} " in result.stdout
    assert build_parser("digitnet").prog == "digitnet"


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`predict ... | head -1`: the reader is gone before the first line is written."""
    image = white_png(tmp_path / "blank.png")
    process = subprocess.Popen([sys.executable, "-m", "digitnet", "predict", *[str(image)] * 50],
                               cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0
    assert stderr == ""


def test_user_error_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    def fail() -> int:
        raise DigitnetError("weights.pt: weights file not found")

    assert run_entry_point(fail) == 2
    assert capsys.readouterr().err == "error: weights.pt: weights file not found\n"


def divide_by_zero() -> int:
    return 1 // 0


def test_unexpected_error_is_one_line_naming_what_and_where(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEBUG_ENV_VAR, raising=False)
    assert run_entry_point(divide_by_zero) == 1
    err = capsys.readouterr().err
    line = divide_by_zero.__code__.co_firstlineno + 1
    assert err == (f"error: unexpected ZeroDivisionError: integer division or modulo by zero "
                   f"(in test_cli.py:{line}; --debug or {DEBUG_ENV_VAR}=1 shows the traceback)\n")


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    if how == "env":
        monkeypatch.setenv(DEBUG_ENV_VAR, "1")
    assert run_entry_point(divide_by_zero, debug=how == "flag") == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "in divide_by_zero" in err
    assert err.rstrip().endswith("ZeroDivisionError: integer division or modulo by zero")


def test_file_system_errors_name_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    def write() -> int:
        raise PermissionError(13, "Permission denied", "/runs/x/metrics.jsonl")

    assert run_entry_point(write) == 1
    assert capsys.readouterr().err == "error: /runs/x/metrics.jsonl: Permission denied\n"


def test_interrupt_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted() -> int:
        raise KeyboardInterrupt

    assert run_entry_point(interrupted) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_predict_goes_on_after_a_surprise_and_debug_stops_there(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        untrained_weights: Path, tmp_path: Path) -> None:
    """An unexpected error in one file: one line, the next file is still read; --debug raises."""
    import digitnet.data.images

    real_read = digitnet.data.images.read_image

    def read_image(path: str | os.PathLike[str]):
        if "surprise" in str(path):
            raise RuntimeError("decoder exploded")
        return real_read(path)

    monkeypatch.setattr(digitnet.data.images, "read_image", read_image)
    monkeypatch.setenv(DEBUG_ENV_VAR, "0")  # and restored after main's --debug sets it
    blank = white_png(tmp_path / "blank.png")
    argv = ["predict", "--weights", str(untrained_weights), "surprise.png", str(blank)]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert out == f"{blank}: blank\n"
    assert err.startswith("error: surprise.png: unexpected RuntimeError: decoder exploded (in ")
    assert len(err.splitlines()) == 1
    assert main(["--debug", *argv]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" in err and "RuntimeError: decoder exploded" in err


def test_non_finite_model_output_is_an_error_not_json_nan(tmp_path: Path) -> None:
    class BrokenClassifier:
        reject, threshold = True, None

        def probabilities(self, images: np.ndarray) -> np.ndarray:
            return np.full((len(images), 10), np.nan, np.float32)

    image = tmp_path / "one.png"
    page = np.full((100, 100), 255, np.uint8)
    page[20:80, 45:55] = 0  # a 1
    cv2.imwrite(str(image), page)
    with pytest.raises(DigitnetError, match="one.png: the model's output is not finite"):
        read_file(Readers(BrokenClassifier(), None), str(image), None)  # type: ignore[arg-type]


@pytest.mark.parametrize("argv, message", [
    (["predict"], "the following arguments are required: FILE"),
    (["predict", "--invert", "maybe", "x.png"], "argument --invert: invalid choice: 'maybe'"),
    (["predict", "x.png", "--bogus"], "unrecognized arguments: --bogus"),
    (["nope"], "argument COMMAND: invalid choice: 'nope'"),
])
def test_bad_flags_are_argparse_errors(capsys: pytest.CaptureFixture[str], argv: list[str],
                                       message: str) -> None:
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("kind, text, message", [
    (positive_int, "0", "expected an integer >= 1, got '0'"),
    (positive_int, "2.5", "expected an integer >= 1, got '2.5'"),
    (int_range(0, 9), "10", "expected an integer >= 0 and <= 9, got '10'"),
    (fraction, "nan", "expected a finite number >= 0 and <= 1, got 'nan'"),
    (fraction, "-0.1", "expected a finite number >= 0 and <= 1, got '-0.1'"),
    (float_range(0, 1, high_inclusive=False), "1",
     "expected a finite number >= 0 and < 1, got '1'"),
    (float_range(0, low_inclusive=False), "0", "expected a finite number > 0, got '0'"),
    (float_range(), "inf", "expected a finite number, got 'inf'"),
])
def test_flag_types_state_the_allowed_range(capsys: pytest.CaptureFixture[str], kind, text: str,
                                            message: str) -> None:
    parser = argparse.ArgumentParser(prog="p")
    parser.add_argument("--value", type=kind)
    with pytest.raises(SystemExit):
        parser.parse_args(["--value", text])
    assert capsys.readouterr().err.endswith(f"p: error: argument --value: {message}\n")


@pytest.mark.parametrize("kind, text, value", [
    (positive_int, "1", 1), (int_range(0, 9), "9", 9), (fraction, "0", 0.0), (fraction, "1", 1.0),
    (float_range(0, 1, high_inclusive=False), "0.999", 0.999),
])
def test_flag_types_accept_their_range(kind, text: str, value: float) -> None:
    assert kind(text) == value
