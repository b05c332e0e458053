"""Training on more than MNIST: pen digits of the training writers and negatives, drawn as the app
draws, cached, mixed into a tiny training run that exports a calibrated reject threshold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from shapes import TABLET_DIGITS

from digitnet import DigitnetError
from digitnet.common.records import RecordError
from digitnet.data import mixture
from digitnet.data.mnist import load_mnist, validation_split
from digitnet.data.omniglot import OMNIGLOT_ENV_VAR
from digitnet.data.pendigits import (
    BENCHMARK_WRITERS,
    PENDIGITS_ENV_VAR,
    PENDIGITS_SOURCE,
    TRAINING_WRITERS,
    seen_benchmark_writers,
    writer_folds,
)
from digitnet.model.classifier import Classifier
from digitnet.train.config import TrainConfig
from digitnet.train.loop import train


def unipen(writers: list[int]) -> str:
    """A small UNIPEN file: each writer writes each digit of TABLET_DIGITS twice."""
    lines = ['.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"']
    for writer in writers:
        for label, strokes in TABLET_DIGITS.items():
            for index in range(2):
                lines += [f'.SEGMENT DIGIT {index} ? "{label}"',
                          f".COMMENT {label} {writer} {index}"]
                for stroke in strokes:
                    shifted = [(x + 7 * index, y - 5 * writer) for x, y in stroke]
                    lines += [".PEN_DOWN", *(f" {x} {y}" for x, y in shifted), ".PEN_UP"]
    return "\n".join(lines) + "\n"


def omniglot_npz(path: Path, count: int) -> Path:
    """count zig-zags per split, as sketch-rnn rows (dx, dy, pen_lifted)."""
    rng = np.random.default_rng(0)
    splits = {}
    for split in ("train", "valid", "test"):
        drawings = np.empty(count, dtype=object)
        for i in range(count):
            rows = np.zeros((6, 3), np.int16)
            rows[:, :2] = rng.integers(-20, 20, (6, 2))
            rows[-1, 2] = 1
            drawings[i] = rows
        splits[split] = drawings
    np.savez(path, train=splits["train"], valid=splits["valid"], test=splits["test"])
    return path


@pytest.fixture
def small_data(tmp_path, monkeypatch) -> Path:
    """Tiny pendigits and Omniglot files, and a cache of the test's own (returned)."""
    pen = tmp_path / "pen.tra"
    pen.write_text(unipen([TRAINING_WRITERS[0], TRAINING_WRITERS[1], BENCHMARK_WRITERS[0]]))
    monkeypatch.setenv(PENDIGITS_ENV_VAR, str(pen))
    monkeypatch.setenv(OMNIGLOT_ENV_VAR, str(omniglot_npz(tmp_path / "omniglot.npz", 40)))
    monkeypatch.setattr(mixture, "user_cache_dir", lambda: tmp_path / "cache")
    return tmp_path / "cache" / "mixture"


def test_pen_digits_are_drawn_per_render_cached_and_never_the_benchmarks(small_data):
    pen = mixture.pen_digits(TRAINING_WRITERS, renders=2)
    assert len(pen) == 2 * 2 * 2 * len(TABLET_DIGITS)  # writers x repeats x renders x digits
    assert set(pen.groups.tolist()) == {str(w) for w in TRAINING_WRITERS[:2]}
    assert pen.images.shape[1:] == (28, 28) and pen.images.dtype == np.uint8
    first, second = np.split(pen.images, 2)
    assert not np.array_equal(first, second)  # each render draws the digits another way
    assert len(list(small_data.glob("*.npz"))) == 1
    again = mixture.pen_digits(TRAINING_WRITERS, renders=2)
    np.testing.assert_array_equal(again.images, pen.images)
    assert again.files == pen.files and len(list(small_data.glob("*.npz"))) == 1
    with pytest.raises(DigitnetError, match="benchmark"):
        mixture.pen_digits([*TRAINING_WRITERS, BENCHMARK_WRITERS[0]], renders=1)


def test_negatives_are_omniglot_and_generated_without_specks(small_data):
    omniglot, generated = mixture.negatives(30)
    assert (len(omniglot), len(generated)) == (24, 6)
    assert (omniglot.labels == mixture.NOT_A_DIGIT).all()
    assert (generated.labels == mixture.NOT_A_DIGIT).all()
    assert omniglot.files and not generated.files
    assert "dot" not in mixture.TRAINING_KINDS and "tick" not in mixture.TRAINING_KINDS
    # Omniglot's split runs out: the rest is generated
    omniglot, generated = mixture.negatives(100)
    assert (len(omniglot), len(generated)) == (40, 60)


def test_a_damaged_cache_file_is_drawn_again(small_data):
    pen = mixture.pen_digits(TRAINING_WRITERS, renders=1)
    (cached,) = small_data.glob("*.npz")
    cached.write_bytes(b"not an npz")
    again = mixture.pen_digits(TRAINING_WRITERS, renders=1)
    np.testing.assert_array_equal(again.images, pen.images)


def test_a_tuning_folds_writers_can_be_held_out_of_the_pen_digits(small_data, mnist_dir,
                                                                  tmp_path):
    """--pen-hold-out K leaves fold K's writers out, so bench/written_numbers.py --fold K can
    measure the weights on writers they never saw; the metadata lists the writers learnt."""
    fold = next(k for k, split in enumerate(writer_folds())
                if TRAINING_WRITERS[0] in split.heldout)
    assert fold > 0 and TRAINING_WRITERS[1] not in writer_folds()[fold].heldout
    config = TrainConfig(data_dir=str(mnist_dir), out=str(tmp_path / "run"), limit=600, epochs=1,
                         batch_size=32, device="cpu", test=False, pen=1, pen_hold_out=fold,
                         epoch_images=200)
    torch.set_num_threads(1)
    (pen,) = [s for s in train(config).learned_from if s.name == PENDIGITS_SOURCE]
    assert pen.writers == (TRAINING_WRITERS[1],)  # the only writer of the file it may learn
    assert pen.images == len(TABLET_DIGITS) * 2  # TRAINING_WRITERS[1]'s digits, drawn once
    assert seen_benchmark_writers([pen], writer_folds()[fold].heldout) == ()
    with pytest.raises(RecordError, match="pen_hold_out needs"):
        TrainConfig(pen_hold_out=1)
    with pytest.raises(RecordError, match="pen_hold_out"):
        TrainConfig(pen=1, pen_hold_out=5)


def test_a_tiny_run_learns_from_pen_digits_and_negatives(small_data, mnist_dir, tmp_path):
    config = TrainConfig(data_dir=str(mnist_dir), out=str(tmp_path / "run"), limit=600, epochs=2,
                         batch_size=32, restroke=0.5, device="cpu", test=False, pen=2,
                         negatives=40, epoch_images=400, reject_keep=0.9)
    torch.set_num_threads(1)
    metadata = train(config)
    sources = {source.name: source for source in metadata.learned_from}
    assert sources["mnist"].images == 540
    assert sources[PENDIGITS_SOURCE].images == 24
    assert sources[PENDIGITS_SOURCE].writers == TRAINING_WRITERS[:2]  # those in the file
    assert not seen_benchmark_writers(metadata.learned_from)
    assert (sources["omniglot"].images, sources["scribbles"].images) == (32, 8)
    assert len(metadata.history) == 2 and metadata.history[-1].train_loss > 0
    assert metadata.training == config

    # the stored threshold keeps the share asked for of the validation digits, and no more
    classifier = Classifier.load(tmp_path / "run" / "simple.pt", threads=None)
    assert classifier.threshold == metadata.reject_threshold is not None
    images, _ = load_mnist("train", mnist_dir)
    _, val = validation_split(600, config.seed)
    top = classifier.probabilities(images[:600][val] / 255.0).max(1)
    assert (top >= classifier.threshold).mean() >= 0.9
    assert (top > classifier.threshold).mean() < 0.9

