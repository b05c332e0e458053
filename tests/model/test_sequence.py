"""The line reader: CTC's best path and the Reading it makes (digits, boxes from the alignment,
what is not a digit rejected), its weights file checked on loading, a tiny training run that
learns, and a killed run resumed exactly."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from shapes import template_hands

import digitnet.train.lines as train_lines_module
from digitnet.common.box import Box
from digitnet.common.line_format import ALPHABET, COLUMN_STEP, LINE_HEIGHT
from digitnet.data.pages import PageSpec, make_page, pick_spec
from digitnet.data.paper import BENCHMARK_PAGES, TRAINING_PAGES
from digitnet.data.strings import TRAINING_STRINGS
from digitnet.model.sequence import (
    LineReader,
    LinesMetadata,
    SequenceConfig,
    SequenceError,
    SequenceReader,
    load_line_weights,
    save_line_weights,
)
from digitnet.reading.lines import TextLine, find_lines
from digitnet.reading.read_lines import best_path, read_line, read_lines
from digitnet.train.lines import LinesTrainConfig, ctc_loss, page_samples, read_texts, train_lines

CLASSES = len(ALPHABET) + 1


def columns(*outputs: tuple[str, float]) -> np.ndarray:
    """Per column, probabilities peaking at one output ("" for blank) with this probability,
    the rest spread evenly."""
    probs = np.zeros((len(outputs), CLASSES))
    for t, (char, peak) in enumerate(outputs):
        probs[t] = (1 - peak) / (CLASSES - 1)
        probs[t, ALPHABET.index(char) + 1 if char else 0] = peak
    return probs


def test_best_path_collapses_runs_and_parts_repeats_at_blanks():
    probs = columns(("", .9), ("1", .6), ("1", .95), ("", .9), ("1", .8), (",", .9), ("", .9),
                    ("0", .7), ("0", .7), ("?", .9))
    path = best_path(probs)
    assert "".join(c.char for c in path) == "11,0?"
    assert [c.peak for c in path] == [2, 4, 5, 7, 9]
    assert [c.columns for c in path] == [(1, 3), (4, 5), (5, 6), (7, 9), (9, 10)]
    assert path[0].confidence == pytest.approx(0.95)


def line_with_blobs(lefts: list[int], width: int = 160) -> TextLine:
    """A line image with a blob of ink 12 pixels wide at each left, mapped to the page at
    twice its size, 100 pixels right and 50 down."""
    image = np.zeros((LINE_HEIGHT, width), np.float32)
    for left in lefts:
        image[6:26, left:left + 12] = 1.0
    to_page = np.array([[2.0, 0.0, 100.0], [0.0, 2.0, 50.0]])
    return TextLine(image, to_page, Box(100, 50, 2 * width, 2 * LINE_HEIGHT),
                    Box(100, 50, 2 * width, 2 * LINE_HEIGHT), 0.0, 2.0 * LINE_HEIGHT)


def test_a_read_line_gives_each_digit_its_distribution_and_its_box_on_the_page():
    lefts = [10, 40, 70, 100, 130]
    line = line_with_blobs(lefts)
    outputs = [("", .99)] * 40
    for char, left in zip("7,2?5", lefts, strict=True):
        outputs[(left + 6) // COLUMN_STEP] = (char, 0.9)
    outputs[(130 + 6) // COLUMN_STEP] = ("5", 0.4)
    read = read_line(line, columns(*outputs), threshold=0.5)
    assert read.text == "7,2?5"
    parts = read.reading.digits
    assert len(parts) == 4  # the separator is text only
    assert [p.prediction.digit for p in parts[:2]] == [7, 2]
    assert [p.rejected for p in parts] == [False, False, True, True]  # "?", and too unsure
    assert read.reading.number is None and read.rejected is False
    assert sum(parts[0].prediction.probs) == pytest.approx(1.0)
    assert parts[0].prediction.confidence == pytest.approx(0.9)
    for part, left in zip(parts, [10, 70, 100, 130], strict=True):
        assert part.box == Box(100 + 2 * left, 50 + 12, 24, 40)  # the blob, on the page
        assert part.image.shape == (28, 28) and part.image.max() == pytest.approx(1.0)


def test_a_line_of_drawings_that_are_not_digits_is_rejected():
    line = line_with_blobs([10, 40])
    read = read_line(line, columns(("", .9), ("", .9), ("?", .9), *[("", .9)] * 7, ("?", .9),
                                   *[("", .9)] * 29), threshold=None)
    assert read.text == "??" and read.rejected and read.reading.number is None


def small_config() -> SequenceConfig:
    return SequenceConfig((4, 8, 8, 8), 8, 0.0)


def test_weights_load_as_saved_and_damaged_or_foreign_files_are_refused(tmp_path: Path):
    torch.manual_seed(0)
    model = LineReader(small_config())
    path = save_line_weights(tmp_path / "lines.pt", model, small_config(),
                             LinesMetadata(steps=3, reject_threshold=0.4))
    loaded, metadata = load_line_weights(path)
    assert metadata.steps == 3 and metadata.reject_threshold == pytest.approx(0.4)
    for key, tensor in model.state_dict().items():
        assert torch.equal(tensor, loaded.state_dict()[key])
    payload = torch.load(path, weights_only=True)
    broken = {**payload, "state_dict": {**payload["state_dict"]}}
    broken["state_dict"]["classifier.weight"] = torch.full_like(
        payload["state_dict"]["classifier.weight"], float("nan"))
    torch.save(broken, tmp_path / "nan.pt")
    other = {**payload, "metadata": {**payload["metadata"], "alphabet": "0123456789"}}
    torch.save(other, tmp_path / "alphabet.pt")
    wider = {**payload, "config": {**payload["config"], "hidden": 16}}
    torch.save(wider, tmp_path / "wider.pt")
    (tmp_path / "text.pt").write_text("not weights")
    for name, says in [("nan.pt", "NaN"), ("alphabet.pt", "alphabet"),
                       ("wider.pt", "architecture"), ("text.pt", "not a readable"),
                       ("missing.pt", "not found")]:
        with pytest.raises(SequenceError, match=says):
            load_line_weights(tmp_path / name)


def two_digit_hands():
    """The template writer with only 0 and 1: a task a tiny model learns in a few seconds."""
    hands = template_hands()
    digits = hands.by_source["templates"][0].digits
    for digit in range(2, 10):
        del digits[digit]
    return hands


def test_a_tiny_training_run_learns_to_read_lines():
    torch.manual_seed(0)
    torch.set_num_threads(1)  # a tiny model: threads only wait on each other
    hands = two_digit_hands()
    strings = dataclasses.replace(TRAINING_STRINGS, formats={"plain": 1.0}, others=0.0)
    pages = dataclasses.replace(TRAINING_PAGES, digits=(1, 3), lines={1: 1.0}, tilt=5.0,
                                conditions={})
    rng = np.random.default_rng(0)

    def samples(count: int) -> list[tuple[np.ndarray, str]]:
        found: list[tuple[np.ndarray, str]] = []
        while len(found) < count:
            page = make_page(rng, hands, pick_spec(rng, strings, pages), strings, pages)
            found += page_samples(page, find_lines(page.image))
        return found[:count]

    train, held_out = samples(120), samples(40)
    model = LineReader(SequenceConfig((6, 12, 12, 16), 16, 0.0))
    optimizer = torch.optim.AdamW(model.parameters(), 1.5e-2)

    def exact() -> float:
        read = read_texts(model, [image for image, _ in held_out])
        return float(np.mean([text == truth for (text, _), (_, truth)
                              in zip(read, held_out, strict=True)]))

    before = exact()
    for _ in range(200):
        model.train()
        loss = ctc_loss(model, [train[i] for i in rng.choice(len(train), 16)])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert exact() >= 0.5 > before + 0.3


class Killed(Exception):
    pass


def test_a_killed_run_resumed_ends_as_the_uninterrupted_one(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(train_lines_module, "load_hands", lambda fold, lookup: template_hands())
    config = LinesTrainConfig(steps=4, batch_size=4, pool=2, eval_every=2, tune_pages=2,
                              width=4, hidden=8, out=str(tmp_path / "whole"))
    train_lines(config, log=open("/dev/null", "w"))
    saved = train_lines_module.save_checkpoint

    def save_then_die(*args: object) -> None:
        saved(*args)  # type: ignore[arg-type]
        raise Killed

    killed = dataclasses.replace(config, out=str(tmp_path / "killed"))
    monkeypatch.setattr(train_lines_module, "save_checkpoint", save_then_die)
    with pytest.raises(Killed):
        train_lines(killed, log=open("/dev/null", "w"))
    monkeypatch.setattr(train_lines_module, "save_checkpoint", saved)
    with pytest.raises(Exception, match="--resume"):
        train_lines(killed, log=open("/dev/null", "w"))
    train_lines(killed, resume=True, log=open("/dev/null", "w"))
    whole = torch.load(tmp_path / "whole" / "checkpoint.pt", weights_only=True)
    again = torch.load(tmp_path / "killed" / "checkpoint.pt", weights_only=True)
    assert whole["step"] == again["step"] == 4
    for key, tensor in whole["model"].items():
        assert torch.equal(tensor, again["model"][key]), key


def test_a_page_reads_its_lines_top_to_bottom_and_a_line_read_as_nothing_is_reported():
    page = make_page(np.random.default_rng(7), template_hands(),
                     PageSpec(("1234", "56789"), "natural", 2.0), TRAINING_STRINGS, BENCHMARK_PAGES)
    lines = find_lines(page.image)
    assert len(lines.lines) == 2
    reader = SequenceReader(LineReader(small_config()), LinesMetadata(), threads=None)
    said = iter([(("1", .9), ("", .9), ("2", .9)), (("", .9), ("", .9))])
    reader.probabilities = lambda image: columns(*next(said))
    read = read_lines(reader, lines)
    assert [line.text for line in read.lines] == ["12"] and read.reading.number == "12"
    assert lines.lines[1].box in read.ignored  # the second line: ink, but nothing read
