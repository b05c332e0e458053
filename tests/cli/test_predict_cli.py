"""`digitnet predict` end to end: real MNIST digits as image files, good and bad, and what is not
a digit: a drawing below the weights' reject threshold, a speck. Numbers: test_predict_numbers."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import bomb_png, with_reject_threshold
from PIL import Image
from predicting import CUTTER, json_lines, predict, run_cli

from digitnet.common.digits import NUM_CLASSES
from digitnet.data.images import read_image
from digitnet.model.classifier import Classifier
from digitnet.reading.read import read_digit


@pytest.fixture(scope="module")
def digit_canvases(mnist_digits: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    """The first of each class enlarged onto a canvas, light on black."""
    return {digit: cv2.copyMakeBorder(cv2.resize(images[0], (140, 140)), 30, 30, 50, 10,
                                      cv2.BORDER_CONSTANT)
            for digit, images in mnist_digits.items()}


@pytest.fixture(scope="module")
def digit_files(tmp_path_factory: pytest.TempPathFactory,
                digit_canvases: dict[int, np.ndarray]) -> dict[str, int]:
    """Each digit in both polarities and three formats: file name -> digit."""
    folder = tmp_path_factory.mktemp("digits")
    files = {}
    for digit, canvas in digit_canvases.items():
        files[str(folder / f"light{digit}.png")] = digit
        cv2.imwrite(str(folder / f"light{digit}.png"), canvas)
        dark_name = str(folder / (f"dark{digit}.jpg" if digit % 2 else f"dark{digit}.bmp"))
        cv2.imwrite(dark_name, cv2.cvtColor(255 - canvas, cv2.COLOR_GRAY2BGR))
        files[dark_name] = digit
    return files


def test_predict_json_on_real_digits_in_both_polarities(digit_files: dict[str, int],
                                                        shipped_weights: Path) -> None:
    result = run_cli("predict", "--json", "--weights", str(shipped_weights), *digit_files)
    assert result.returncode == 0, result.stderr
    records = json_lines(result.stdout)
    assert len(records) == len(digit_files)
    correct = 0
    for record in records:
        assert list(record) == ["file", "number", "digit", "rejected", "confidence", "probs",
                                "digits", "lines", "ignored"]
        assert record["rejected"] is (record["digit"] is None)  # none of them is blank
        assert len(record["probs"]) == NUM_CLASSES
        assert sum(record["probs"]) == pytest.approx(1, abs=1e-4)
        assert record["confidence"] == max(record["probs"])
        assert record["number"] == (None if record["rejected"] else str(record["digit"]))
        [part] = record["digits"]  # the one digit, as the record says it, and where it lies
        box = part.pop("box")
        assert part == {key: record[key] for key in ("digit", "rejected", "confidence", "probs")}
        left, top, width, height = box  # the canvas: 140x140 between borders 50, 30 (see above)
        assert 50 <= left and left + width <= 190 and 30 <= top and top + height <= 170
        assert max(width, height) > 70
        correct += record["digit"] == digit_files[record["file"]]
    assert correct >= len(digit_files) - 1


def test_one_digit_reads_exactly_as_before_numbers(capsys: pytest.CaptureFixture[str],
                                                   digit_files: dict[str, int],
                                                   shipped_weights: Path) -> None:
    """On a clean image of one digit (PNG, BMP or JPEG, either polarity), predict's reading is
    read_digit's of the whole image, as before numbers."""
    classifier = Classifier.load(shipped_weights)
    files = sorted(digit_files)
    _, out, _ = predict(capsys, "--json", "--weights", str(shipped_weights), *files)
    for name, record in zip(files, json_lines(out), strict=True):
        before = read_digit(classifier, read_image(name)).prediction
        assert record["probs"] == [round(p, 6) for p in before.probs]
        assert record["confidence"] == round(before.confidence, 6)
        assert record["rejected"] is before.rejected
        assert record["digit"] == (None if before.rejected else before.digit)


def test_predict_text_output_and_default_weights(capsys: pytest.CaptureFixture[str],
                                                 digit_files: dict[str, int]) -> None:
    files = sorted(digit_files)[:3]
    code, out, err = predict(capsys, *files)
    assert code == 0, err
    for name, line in zip(files, out.splitlines(), strict=True):
        assert re.fullmatch(rf"{re.escape(name)}: \d \((0|1)\.\d{{3}}\)", line)


def test_bad_files_fail_alone(tmp_path: Path, digit_files: dict[str, int],
                              shipped_weights: Path) -> None:
    """Each bad file: one error line; every other file is still classified; exit code 1."""
    good = next(iter(digit_files))
    bad = {"broken.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "bomb.png": bomb_png(),
           "cut.png": Path(good).read_bytes()[:300]}
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((100, 100), 255, np.uint8))
    missing = tmp_path / "missing.png"
    files = [tmp_path / "broken.png", tmp_path / "bomb.png", good, missing, tmp_path / "cut.png",
             blank, tmp_path]
    result = run_cli("predict", "--json", "--weights", str(shipped_weights), *map(str, files))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'broken.png'}: not a readable image (unknown format or damaged "
        "header)",
        f"error: {tmp_path / 'bomb.png'}: refused: its header claims 4,294,836,225 pixels, more "
        "than the 89,478,485 digitnet decodes",
        f"error: {missing}: no such file",
        f"error: {tmp_path / 'cut.png'}: cannot decode: image file is truncated",
        f"error: {tmp_path}: not a file",
    ]
    records = json_lines(result.stdout)
    assert [r["file"] for r in records] == [good, str(blank)]
    assert records[0]["digit"] == digit_files[good]
    assert records[1]["digit"] is None and records[1]["confidence"] == 0
    assert records[1]["rejected"] is False and records[1]["probs"] == [0] * NUM_CLASSES  # blank
    assert records[1]["number"] is None and records[1]["digits"] == []


def test_photos_are_read_upright_and_transparent_ink_is_ink(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, digit_canvases: dict[int, np.ndarray],
        shipped_weights: Path) -> None:
    """A 7 on paper photographed upside down (EXIF orientation 3) reads 7, not 6 or L; a 6
    and a 9 in white ink on a transparent background read 6 and 9, not blank."""
    paper = 255 - digit_canvases[7]
    exif = Image.Exif()
    exif[0x0112] = 3  # stored upside down: show it turned half way
    Image.fromarray(np.ascontiguousarray(paper[::-1, ::-1])).save(tmp_path / "seven.jpg",
                                                                   exif=exif, quality=95)
    for digit in (6, 9):
        ink = digit_canvases[digit]
        white_ink = np.dstack([np.full_like(ink, 255)] * 3 + [ink])
        cv2.imwrite(str(tmp_path / f"white{digit}.png"), white_ink)
    names = ["seven.jpg", "white6.png", "white9.png"]
    code, out, err = predict(capsys, "--json", "--weights", str(shipped_weights),
                             *[str(tmp_path / name) for name in names])
    assert code == 0, err
    assert [record["digit"] for record in json_lines(out)] == [7, 6, 9]


def test_forced_polarity(capsys: pytest.CaptureFixture[str], digit_files: dict[str, int],
                         shipped_weights: Path) -> None:
    light = [f for f in digit_files if "light" in f][:3]
    weights = ["--weights", str(shipped_weights)]
    _, right, _ = predict(capsys, "--json", "--invert", "no", *weights, *light)
    assert [record["digit"] for record in json_lines(right)] == [digit_files[f] for f in light]
    _, wrong, _ = predict(capsys, "--json", "--invert", "yes", *weights, *light)
    assert [record["digit"] for record in json_lines(wrong)] != [digit_files[f] for f in light]


def test_missing_weights_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = predict(capsys, "--weights", "nope.pt", "x.png")
    assert (code, out) == (2, "")
    assert err.startswith("error: nope.pt: weights file not found") and len(err.splitlines()) == 1


def test_an_image_given_as_weights_is_one_line_of_our_own(
        capsys: pytest.CaptureFixture[str], digit_files: dict[str, int]) -> None:
    """`--weights seven.png`: what the file is, never torch's advice to load it less safely."""
    image = next(iter(digit_files))
    code, out, err = predict(capsys, "--weights", image, image)
    assert (code, out) == (2, "")
    assert err == f"error: {image}: not a readable weights file: it is a PNG image\n"


def test_a_user_error_from_the_shell_is_one_line(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "mnist"
    not_a_folder.write_text("")  # a file where the MNIST folder should be: nothing is downloaded
    result = run_cli("train", "--data-dir", str(not_a_folder), "--epochs", "1")
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {not_a_folder}: not a folder")
    assert len(result.stderr.splitlines()) == 1


# not a digit


def test_below_the_threshold_is_not_a_digit_with_the_raw_output_kept(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, digit_files: dict[str, int],
        shipped_weights: Path) -> None:
    """Weights whose threshold falls between these digits' confidences: exactly those below it
    are not digits, with the model's own best guess, confidence and probabilities."""
    files = sorted(digit_files)
    _, out, _ = predict(capsys, *CUTTER, "--json", "--no-reject", "--weights", str(shipped_weights),
                        *files)
    forced = {record["file"]: record for record in json_lines(out)}
    assert not any(record["rejected"] for record in forced.values())
    confidences = sorted({record["confidence"] for record in forced.values()})
    middle = len(confidences) // 2
    threshold = (confidences[middle - 1] + confidences[middle]) / 2
    weights = str(with_reject_threshold(shipped_weights, threshold, tmp_path / "strict.pt"))

    code, out, err = predict(capsys, *CUTTER, "--json", "--weights", weights, *files)
    assert code == 0, err
    records = json_lines(out)
    doubtful = [r["file"] for r in records if forced[r["file"]]["confidence"] < threshold]
    assert 0 < len(doubtful) < len(files)
    for record in records:
        raw = forced[record["file"]]
        is_rejected = record["file"] in doubtful
        assert record["rejected"] is is_rejected
        assert record["digit"] == (None if is_rejected else raw["digit"])
        assert (record["confidence"], record["probs"]) == (raw["confidence"], raw["probs"])

    code, out, _ = predict(capsys, *CUTTER, "--weights", weights, *files)
    for name, line in zip(files, out.splitlines(), strict=True):
        raw = forced[name]
        expected = (f"not a digit (best guess {raw['digit']}, {raw['confidence']:.3f})"
                    if name in doubtful else f"{raw['digit']} ({raw['confidence']:.3f})")
        assert line == f"{name}: {expected}"

    _, out, _ = predict(capsys, *CUTTER, "--json", "--no-reject", "--weights", weights, *files)
    assert json_lines(out) == list(forced.values())  # the forced choice, threshold or not


def test_a_speck_is_not_a_digit_and_the_model_is_not_asked(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, shipped_weights: Path) -> None:
    """A dot, or a tick 3 % of the page long, would fill the 28x28 frame as a bold 0 or 1."""
    dot = np.full((400, 300), 255, np.uint8)
    cv2.circle(dot, (150, 220), 6, 0, -1)
    cv2.imwrite(str(tmp_path / "dot.png"), dot)
    tick = np.full((400, 300), 255, np.uint8)
    cv2.line(tick, (100, 100), (109, 104), 0, 3)
    cv2.imwrite(str(tmp_path / "tick.png"), tick)
    files = [str(tmp_path / "dot.png"), str(tmp_path / "tick.png")]
    marks = [list(cv2.boundingRect((page < 128).astype(np.uint8))) for page in (dot, tick)]
    weights = ["--weights", str(shipped_weights)]

    code, out, _ = predict(capsys, *weights, *files)
    assert code == 0
    assert out.splitlines() == [f"{name}: not a digit (too small: a speck)" for name in files]
    _, out, _ = predict(capsys, "--json", *weights, *files)
    for name, mark, record in zip(files, marks, json_lines(out), strict=True):
        speck = {"digit": None, "rejected": True, "confidence": 0, "probs": [0] * NUM_CLASSES}
        assert record == {"file": name, "number": None, **speck, "digits": [
            {**speck, "box": mark}], "lines": [], "ignored": []}  # where the mark is, to the pixel
    _, out, _ = predict(capsys, "--json", "--no-reject", *weights, *files)
    for record in json_lines(out):  # the forced choice: the speck, magnified, is read
        assert record["rejected"] is False and record["digit"] in range(NUM_CLASSES)
        assert sum(record["probs"]) == pytest.approx(1, abs=1e-4)
