"""The UNIPEN reader, the writer splits and pen samples drawn as the app draws them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from helpers import shared_file

from digitnet.data.pendigits import (
    ALL_WRITERS,
    BENCHMARK_WRITERS,
    TABLET_SIDE,
    TRAINING_WRITERS,
    PendigitsError,
    PenSample,
    load_pendigits,
    of_writers,
    render_pen_samples,
    seen_benchmark_writers,
    split_writers,
    writer_folds,
)
from digitnet.data.strokes import APP_STYLE

HEADER = """.INCLUDE        dene.doc

.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"
.HIERARCHY      DIGIT
"""
SEVEN = """
.SEGMENT DIGIT    0 ? "7"
.COMMENT 7 12  224
.PEN_DOWN
 100  400
 300  400
 200  100
.PEN_UP
.DT 100
.PEN_DOWN
 150  250
 250  250
.PEN_UP
.DT 100
"""
ONE = """
.SEGMENT DIGIT    1 ? "1"
.COMMENT 1 3   54
.PEN_DOWN
 200  350
.PEN_UP
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sample.tra"
    path.write_text(text)
    return path


def test_reads_labels_writers_and_strokes_in_y_down_coordinates(tmp_path: Path) -> None:
    samples = load_pendigits(write(tmp_path, HEADER + SEVEN + ONE))
    assert [(s.label, s.writer, len(s.strokes)) for s in samples] == [(7, 12, 2), (1, 3, 1)]
    first_stroke = samples[0].strokes[0]
    assert first_stroke.dtype == np.float32
    np.testing.assert_array_equal(
        first_stroke, [[100, TABLET_SIDE - 400], [300, TABLET_SIDE - 400], [200, TABLET_SIDE - 100]]
    )
    assert samples[1].strokes[0].shape == (1, 2)  # a one-point stroke is a dot


@pytest.mark.parametrize(
    "text, line, message",
    [
        (HEADER + SEVEN.replace('? "7"', "?"), 6, "without a digit label"),
        (HEADER + SEVEN.replace(" 300  400", " 300  4OO"), 10, "two finite numbers"),
        (HEADER + SEVEN.replace(" 300  400", " 300"), 10, "two finite numbers"),
        (HEADER + SEVEN.replace(" 300  400", " 300  nan"), 10, "two finite numbers"),
        (HEADER + SEVEN.split(".PEN_UP")[0], 6, "never closed"),  # the file ends inside a stroke
        (HEADER + SEVEN.replace(".PEN_UP\n.DT 100\n.PEN_DOWN", ".PEN_DOWN", 1), 12, "still open"),
        (
            HEADER + SEVEN.replace(".PEN_UP\n.DT 100\n.PEN_DOWN", ".DT 100\n.PEN_DOWN", 1),
            12,
            ".DT inside a stroke",
        ),
        (HEADER + SEVEN.replace(".COMMENT 7 12  224\n", ""), 6, "no .COMMENT"),
        (HEADER + SEVEN.replace(".COMMENT 7 12", ".COMMENT 4 12"), 7, "says digit 4"),
        (HEADER + SEVEN.replace(".COMMENT 7 12  224", ".COMMENT 7 x"), 7, "as numbers"),
        (
            HEADER + SEVEN.replace(".PEN_DOWN\n 150  250\n 250  250\n", ""),
            14,
            ".PEN_UP without a stroke",
        ),
        (HEADER + " 100 200\n" + SEVEN, 5, "before the first .SEGMENT"),
    ],
)
def test_a_broken_file_is_one_clear_error_naming_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PendigitsError, match=message) as error:
        load_pendigits(path)
    assert f"{path}:{line}:" in str(error.value)


def test_a_stroke_left_open_at_the_next_sample_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + SEVEN.rsplit(".PEN_UP", 1)[0] + ONE)
    with pytest.raises(PendigitsError, match="never closed") as error:
        load_pendigits(path)
    assert f"{path}:6:" in str(error.value)  # the sample's .SEGMENT line


@pytest.mark.parametrize("text", ["", HEADER, "hello\n"])
def test_a_file_without_samples_is_an_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(PendigitsError, match="sample|coordinates"):
        load_pendigits(write(tmp_path, text))


def test_a_missing_file_names_the_environment_variable(tmp_path: Path) -> None:
    with pytest.raises(PendigitsError, match="not found.*DIGITNET_PENDIGITS"):
        load_pendigits(tmp_path / "nothing.tra")


def test_the_writer_split_never_shares_a_writer() -> None:
    split = split_writers()
    assert not set(split.train) & set(split.heldout)
    assert sorted(split.train + split.heldout) == list(ALL_WRITERS)
    assert len(split.heldout) == 6 and split.heldout == BENCHMARK_WRITERS
    assert split_writers(ALL_WRITERS[::-1]) == split  # the order of the ids does not matter
    assert split_writers(seed=1) != split


def test_writer_folds_hold_out_every_writer_exactly_once() -> None:
    folds = writer_folds(folds=5)
    held = [w for fold in folds for w in fold.heldout]
    assert sorted(held) == list(ALL_WRITERS)
    for fold in folds:
        assert not set(fold.train) & set(fold.heldout)
        assert sorted(fold.train + fold.heldout) == list(ALL_WRITERS)
    assert folds[0].heldout == BENCHMARK_WRITERS
    with pytest.raises(ValueError):
        writer_folds(folds=31)


def test_of_writers_keeps_only_their_samples(tmp_path: Path) -> None:
    samples = load_pendigits(write(tmp_path, HEADER + SEVEN + ONE))
    assert [s.writer for s in of_writers(samples, [3])] == [3]
    assert of_writers(samples, [99]) == []


def pen_samples() -> list[PenSample]:
    seven = (
        np.array([[100, 100], [300, 100], [200, 400]], np.float32),
        np.array([[150, 250], [250, 250]], np.float32),
    )
    one = (np.array([[200, 100], [200, 400]], np.float32),)
    return [PenSample(7, 1, seven), PenSample(1, 2, one)] * 3


def test_rendering_gives_mnist_like_uint8_images_reproducibly() -> None:
    samples = pen_samples()
    drawn = render_pen_samples(samples, seed=5)
    assert drawn.images.shape == (6, 28, 28) and drawn.images.dtype == np.uint8
    assert drawn.labels.tolist() == [7, 1] * 3 and drawn.writers.tolist() == [1, 2] * 3
    assert (drawn.images.max(axis=(1, 2)) == 255).all()  # every digit has full-contrast ink
    np.testing.assert_array_equal(render_pen_samples(samples, seed=5).images, drawn.images)
    assert not np.array_equal(render_pen_samples(samples, seed=6).images, drawn.images)
    for image in drawn.images:  # to_mnist's frame: the ink's longer side is 20 pixels
        rows, columns = np.nonzero(image.any(axis=1))[0], np.nonzero(image.any(axis=0))[0]
        assert max(np.ptp(rows), np.ptp(columns)) + 1 == 20
    app = render_pen_samples(samples, APP_STYLE, seed=0)
    assert app.images.shape == (6, 28, 28)


def test_the_shared_pendigits_file_has_30_writers_and_the_documented_classes() -> None:
    path = shared_file("pendigits")
    samples = load_pendigits(path)
    assert len(samples) == 7494
    assert sorted({s.writer for s in samples}) == list(ALL_WRITERS)
    counts = Counter(s.label for s in samples)
    assert [counts[d] for d in range(10)] == [780, 779, 780, 719, 780, 720, 720, 778, 719, 719]
    assert len(of_writers(samples, BENCHMARK_WRITERS)) == 1499


@dataclass(frozen=True)
class Source:
    """A weights file's data source, as digitnet.model.weights records it."""

    name: str
    writers: tuple[int, ...] = ()


def test_weights_that_learned_from_benchmark_writers_are_caught() -> None:
    mnist, training = Source("mnist"), Source("pendigits", TRAINING_WRITERS)
    assert seen_benchmark_writers([mnist]) == ()
    assert seen_benchmark_writers([mnist, training]) == ()
    leaked = Source("pendigits", (*TRAINING_WRITERS, BENCHMARK_WRITERS[0]))
    assert seen_benchmark_writers([mnist, leaked]) == BENCHMARK_WRITERS[:1]
    # pen data whose writers are not listed may include any of them
    assert seen_benchmark_writers([Source("pendigits")]) == BENCHMARK_WRITERS
