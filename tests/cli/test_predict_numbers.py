"""`digitnet predict` on numbers: MNIST test digits side by side on paper, a part that is not a
digit, the line reader's lines and boxes, two lines, one digit centred in a crop."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import with_reject_threshold
from predicting import CUTTER, json_lines, number_page, predict

from digitnet.cli.choose import FileReading
from digitnet.cli.main import format_reading
from digitnet.common.box import Box
from digitnet.common.digits import NUM_CLASSES
from digitnet.common.prediction import SPECK, Prediction
from digitnet.reading.result import DigitReading, Reading


@pytest.fixture(scope="module")
def number_files(tmp_path_factory: pytest.TempPathFactory,
                 mnist_digits: dict[int, np.ndarray]) -> dict[str, str]:
    """Numbers of three and four digits as image files: file name -> number."""
    folder = tmp_path_factory.mktemp("numbers")
    numbers = {str(folder / "year.png"): "2026", str(folder / "code.jpg"): "7193",
               str(folder / "price.png"): "580"}
    for name, number in numbers.items():
        cv2.imwrite(name, number_page(mnist_digits, number))
    return numbers


def test_predict_reads_a_number_with_each_digits_confidence(
        capsys: pytest.CaptureFixture[str], number_files: dict[str, str]) -> None:
    files = list(number_files)
    code, out, err = predict(capsys, *files)  # the shipped default weights
    assert code == 0, err
    for name, line in zip(files, out.splitlines(), strict=True):
        number = number_files[name]
        parts = ", ".join(rf"{digit} (0|1)\.\d{{3}}" for digit in number)
        assert re.fullmatch(rf"{re.escape(name)}: {number} \({parts}\)", line), line


def test_predict_json_of_a_number(capsys: pytest.CaptureFixture[str],
                                  number_files: dict[str, str]) -> None:
    """`number` and `digits` left to right, each with its box on the page; the one-digit fields
    say: no single digit (`digit` and `probs` null), `confidence` the least sure digit's."""
    code, out, err = predict(capsys, *CUTTER, "--json", *number_files)
    assert code == 0, err
    for record in json_lines(out):
        number = number_files[record["file"]]
        assert record["number"] == number
        assert (record["digit"], record["rejected"], record["probs"]) == (None, False, None)
        parts = record["digits"]
        assert [part["digit"] for part in parts] == [int(digit) for digit in number]
        assert record["confidence"] == min(part["confidence"] for part in parts)
        for k, part in enumerate(parts):
            assert set(part) == {"digit", "rejected", "confidence", "probs", "box"}
            assert part["rejected"] is False and len(part["probs"]) == NUM_CLASSES
            assert part["confidence"] == max(part["probs"])
            assert sum(part["probs"]) == pytest.approx(1, abs=1e-4)
            left, top, width, height = part["box"]  # digit k's 28x28 frame: 4 pixels per pixel
            frame_left = 80 + 4 * 32 * k
            assert frame_left <= left and left + width <= frame_left + 4 * 28
            assert 60 <= top and top + height <= 60 + 4 * 28 and height > 4 * 14


def test_a_number_with_a_part_that_is_not_a_digit(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, number_files: dict[str, str],
        shipped_weights: Path) -> None:
    """Weights whose threshold lies just above the least sure digit of "580" (its 5 is a
    doubtful one): that part, and only it, is not a digit, and the line says which; `number` is
    null."""
    name = next(f for f, number in number_files.items() if number == "580")
    _, out, _ = predict(capsys, *CUTTER, "--json", "--no-reject", "--weights", str(shipped_weights),
                        name)
    [forced] = json_lines(out)
    confidences = [part["confidence"] for part in forced["digits"]]
    least = int(np.argmin(confidences))
    threshold = float(confidences[least] + min(np.delete(confidences, least))) / 2
    assert confidences[least] < threshold
    weights = str(with_reject_threshold(shipped_weights, threshold, tmp_path / "strict.pt"))

    _, out, _ = predict(capsys, *CUTTER, "--json", "--weights", weights, name)
    [record] = json_lines(out)
    assert (record["number"], record["digit"], record["rejected"]) == (None, None, True)
    assert record["confidence"] == forced["confidence"] and record["probs"] is None
    for k, (part, raw) in enumerate(zip(record["digits"], forced["digits"], strict=True)):
        assert part == {**raw, "digit": None if k == least else raw["digit"],
                        "rejected": k == least}

    _, out, _ = predict(capsys, *CUTTER, "--weights", weights, name)
    described = [f"{raw['digit']} {raw['confidence']:.3f}" for raw in forced["digits"]]
    raw = forced["digits"][least]
    described[least] = f"? best guess {raw['digit']} {raw['confidence']:.3f}"
    assert out == (f"{name}: not a number: part {least + 1} of 3 is not a digit "
                   f"({', '.join(described)})\n")


def test_which_parts_are_not_digits() -> None:
    """The text names every part that is not a digit, a speck as such; JSON stays strict."""
    def part(digit: int, confidence: float, rejected: bool, left: int) -> DigitReading:
        probs = tuple(confidence if k == digit else (1 - confidence) / 9
                      for k in range(NUM_CLASSES))
        return DigitReading(np.zeros((28, 28), np.float32),
                            Prediction(digit, confidence, probs, rejected), Box(left, 5, 20, 30))

    speck = DigitReading(np.zeros((28, 28), np.float32), SPECK, Box(70, 30, 3, 3))
    reading = Reading((part(2, 0.9991, False, 0), part(4, 0.41234, True, 30), speck,
                       part(6, 0.97, False, 90)))
    assert format_reading("x.png", FileReading(reading), as_json=False) == (
        "x.png: not a number: parts 2 and 3 of 4 are not digits "
        "(2 0.999, ? best guess 4 0.412, ? a speck, 6 0.970)")
    [record] = json_lines(format_reading("x.png", FileReading(reading), as_json=True))
    assert (record["number"], record["digit"], record["rejected"]) == (None, None, True)
    assert (record["confidence"], record["probs"]) == (0, None)  # the speck's: not asked
    assert [p["digit"] for p in record["digits"]] == [2, None, None, 6]
    assert [p["box"] for p in record["digits"]] == [[0, 5, 20, 30], [30, 5, 20, 30],
                                                    [70, 30, 3, 3], [90, 5, 20, 30]]
    three = Reading((reading.digits[1], reading.digits[1], reading.digits[2]))
    assert format_reading("y.png", FileReading(three), as_json=False).startswith(
        "y.png: not a number: parts 1, 2 and 3 of 3 are not digits (")


def test_the_line_reader_reads_a_number_with_its_line_and_each_digits_box(
        capsys: pytest.CaptureFixture[str], number_files: dict[str, str]) -> None:
    """--reader lines: the number, its one line (text and box), each digit in the digit's own
    frame on the page (from the alignment), no ink left unread."""
    code, out, err = predict(capsys, "--json", "--reader", "lines", *number_files)
    assert code == 0, err
    for record in json_lines(out):
        number = number_files[record["file"]]
        assert record["number"] == number and record["ignored"] == []
        [line] = record["lines"]
        assert line["text"] == line["number"] == number
        assert [part["digit"] for part in line["digits"]] == [int(d) for d in number]
        assert [part["box"] for part in record["digits"]] == [p["box"] for p in line["digits"]]
        left, top, width, height = line["box"]
        assert left <= 80 + 4 * 28 and left + width >= 80 + 4 * 32 * (len(number) - 1)
        for k, part in enumerate(line["digits"]):
            part_left, _, part_width, _ = part["box"]
            middle = part_left + part_width / 2  # within digit k's frame, 4 pixels per pixel
            assert 80 + 4 * 32 * k <= middle <= 80 + 4 * (32 * k + 28), (k, part["box"])


def test_two_lines_are_read_as_two_numbers_top_to_bottom(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        mnist_digits: dict[int, np.ndarray]) -> None:
    """"12" written above "34": both lines, in order; no one number is made of them."""
    page = np.vstack([number_page(mnist_digits, "12"), number_page(mnist_digits, "34")])
    cv2.imwrite(str(tmp_path / "two.png"), page)
    _, out, _ = predict(capsys, "--json", str(tmp_path / "two.png"))
    [record] = json_lines(out)
    assert [line["number"] for line in record["lines"]] == ["12", "34"]
    assert record["number"] is None and [p["digit"] for p in record["digits"]] == [1, 2, 3, 4]
    _, out, _ = predict(capsys, str(tmp_path / "two.png"))
    assert re.fullmatch(rf"{re.escape(str(tmp_path / 'two.png'))}: 2 lines: 12 \(1 .*\) \| "
                        r"34 \(3 .*\)\n", out), out


def test_one_digit_reads_the_digit_a_crop_is_centred_on(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        mnist_digits: dict[int, np.ndarray]) -> None:
    """A form's box cut a little wide: the 3 in its middle, neighbours' pieces at its edges."""
    page = number_page(mnist_digits, "536")
    left = 80 + 4 * 32 - 60  # half the 5, the 3, part of the 6
    cv2.imwrite(str(tmp_path / "cell.png"), page[:, left:80 + 4 * 60 + 40])
    _, out, _ = predict(capsys, "--json", "--one-digit", str(tmp_path / "cell.png"))
    [record] = json_lines(out)
    assert (record["number"], record["digit"]) == ("3", 3)
    box_left, _, box_width, _ = record["digits"][0]["box"]
    assert 4 * 32 <= left + box_left and left + box_left + box_width <= 80 + 4 * 60
