import zipfile
from datetime import UTC, datetime

import numpy as np
import pytest

from digitnet.common.sketch import render_strokes
from digitnet.data import samples
from digitnet.data.samples import SampleError, SampleStore
from digitnet.reading.preprocess import to_mnist

CANVAS = (300, 200)
STROKES = [np.array([[0.45, 0.2], [0.55, 0.5], [0.5, 0.8]]), np.array([[0.6, 0.3]])]


def drawing() -> np.ndarray:
    image = to_mnist(render_strokes(STROKES, CANVAS, 0.04), invert=False)
    assert image is not None
    return image


def save(store: SampleStore, label: int):
    return store.save(STROKES, drawing(), label, canvas_size=CANVAS, brush=0.04)


def test_saves_and_reloads_everything(tmp_path):
    store = SampleStore(tmp_path / "samples")
    path = save(store, 7)
    assert path.parent == tmp_path / "samples" and path.name.startswith("7_")
    [sample], warnings = store.load_all()
    assert warnings == []
    assert sample.label == 7 and sample.path == path
    assert sample.canvas_size == CANVAS and sample.brush == pytest.approx(0.04)
    np.testing.assert_array_equal(sample.image, drawing())
    assert len(sample.strokes) == 2
    for got, want in zip(sample.strokes, STROKES, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)
    # the strokes are enough to draw it again, through the same transform
    again = to_mnist(sample.render(), invert=False)
    assert again is not None
    np.testing.assert_allclose(again, sample.image, atol=1e-6)


def test_counts_come_from_file_names(tmp_path):
    store = SampleStore(tmp_path)
    for label in (3, 3, 0, 9, 3):
        save(store, label)
    (tmp_path / "notes.txt").write_text("not a sample")
    assert store.counts() == [1, 0, 0, 3, 0, 0, 0, 0, 0, 1]


def test_missing_folder_is_empty_and_not_created(tmp_path):
    store = SampleStore(tmp_path / "nothing-yet")
    assert store.counts() == [0] * 10
    assert store.load_all() == ([], [])
    assert not store.folder.exists()


def test_never_overwrites_a_sample(tmp_path, monkeypatch):
    """Even when the time and the random suffix repeat, the second save takes a new name."""

    class FrozenClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2030, 1, 2, 3, 4, 5, 6, tzinfo=UTC)

    suffixes = iter(["aaaaaaaa", "aaaaaaaa", "bbbbbbbb"])
    monkeypatch.setattr(samples, "datetime", FrozenClock)
    monkeypatch.setattr(samples.secrets, "token_hex", lambda n: next(suffixes))
    store = SampleStore(tmp_path)
    first = save(store, 4)
    before = first.read_bytes()
    second = store.save(STROKES, drawing(), 4, canvas_size=CANVAS, brush=0.09)
    assert first != second and second.name.endswith("_bbbbbbbb.npz")
    assert first.read_bytes() == before
    # no temp files left
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, second.name])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"label": 10}, "label must be a digit"),
        ({"label": "3"}, "label must be a digit"),
        ({"image28": None}, "nothing is drawn"),
        ({"image28": np.zeros((28, 27))}, "28x28"),
        ({"image28": np.full((28, 28), np.nan)}, "28x28"),
        ({"strokes": []}, "at least one stroke"),
        ({"canvas_size": (0, 100)}, "canvas size"),
        ({"canvas_size": (100_000, 100_000)}, "canvas size 100000x100000 is outside"),
        ({"brush": 5.0}, "brush 5 is outside"),
        ({"brush": float("nan")}, "brush nan is outside"),
        ({"strokes": [np.array([[0.5, 0.5], [1e9, 0.5]])]}, "stroke points lie outside"),
    ],
)
def test_refuses_bad_samples(tmp_path, kwargs, message):
    args = {"strokes": STROKES, "image28": drawing(), "label": 1, "canvas_size": CANVAS, **kwargs}
    with pytest.raises(SampleError, match=message):
        SampleStore(tmp_path).save(**args)
    assert list(tmp_path.iterdir()) == []


def write_npz(path, **fields):
    with open(path, "wb") as f:
        np.savez(f, **fields)


def test_corrupt_and_foreign_files_are_skipped_with_a_warning(tmp_path):
    store = SampleStore(tmp_path)
    good = [save(store, 1), save(store, 2)]
    valid = dict(np.load(good[0]))
    name = "5_20300101T000000000000Z_{}.npz".format
    (tmp_path / name("00000001")).write_bytes(b"\x00garbage" * 50)
    (tmp_path / name("00000002")).write_bytes(good[0].read_bytes()[:300])  # truncated
    write_npz(tmp_path / name("00000003"), weights=np.zeros(3))  # someone else's npz
    five = {**valid, "label": np.array(5)}
    write_npz(tmp_path / name("00000004"), **{**five, "image": np.full((28, 28), np.nan)})
    write_npz(tmp_path / name("00000005"), **{**five, "format_version": np.array(99)})
    write_npz(tmp_path / name("00000006"), **{**five, "stroke_lengths": np.array([1, 1])})
    write_npz(tmp_path / name("00000007"), **valid)  # holds a 1, its name says 5
    with open(tmp_path / name("00000008"), "wb") as f:
        np.save(f, np.zeros((28, 28)))  # a bare .npy under a sample's name
    with zipfile.ZipFile(tmp_path / name("00000009"), "w") as z:  # an npz holding pickled objects
        z.writestr("label.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': False, "
                   b"'shape': (), }"
                   + b" " * 50 + b"\n" + b"junk")
    (tmp_path / "readme.txt").write_text("hello")
    # a crashed save: ignored silently
    (tmp_path / ".5_unfinished.tmp").write_bytes(b"half a sample")

    loaded, warnings = store.load_all()
    assert [s.path for s in loaded] == good
    assert len(warnings) == 10
    text = "\n".join(warnings)
    assert "readme.txt: skipped, not a sample file" in text
    for expected in ("not an .npz archive", "field 'format' is missing", "not 28x28", "version 99",
                     "stroke lengths", "name says digit 5 but it holds a 1"):
        assert expected in text
    assert ".tmp" not in text


def test_a_sample_made_by_another_transform_version_is_redrawn(tmp_path, monkeypatch):
    store = SampleStore(tmp_path)
    # an image the strokes do not give
    store.save(STROKES, np.zeros((28, 28)), 1, canvas_size=CANVAS, brush=0.04)
    [sample], _ = store.load_all()
    assert sample.current_image() is sample.image
    monkeypatch.setattr(samples, "TRANSFORM_VERSION", samples.TRANSFORM_VERSION + 1)
    np.testing.assert_allclose(sample.current_image(), drawing(), atol=1e-6)


@pytest.mark.parametrize("field, value, message", [
    ("canvas_size", np.array([10**6, 10**6]), "canvas size 1000000x1000000 is outside"),
    ("brush", np.array(1e6), "brush 1e+06 is outside"),
    ("stroke_points", np.array([[0.5, 0.5], [3e9, 1.0], [0.1, 0.1]], np.float32), "stroke points"),
])
def test_a_stored_absurd_canvas_or_brush_is_skipped_with_a_warning(tmp_path, field, value, message):
    """Redrawing such a sample could take all memory; it is refused when it is read."""
    store = SampleStore(tmp_path)
    good = save(store, 2)
    forged = tmp_path / "3_20300101T000000000000Z_00000001.npz"
    write_npz(forged, **{**dict(np.load(good)), "label": np.array(3), field: value})
    loaded, warnings = store.load_all()
    assert [s.path for s in loaded] == [good]
    assert len(warnings) == 1 and warnings[0].startswith(f"{forged}: skipped, {message}")


def test_a_sample_that_cannot_be_redrawn_says_why(tmp_path, monkeypatch):
    store = SampleStore(tmp_path)
    store.save([np.array([[1.5, 1.5], [1.9, 1.9]])], np.zeros((28, 28)), 1, canvas_size=CANVAS)
    [sample], _ = store.load_all()
    monkeypatch.setattr(samples, "TRANSFORM_VERSION", samples.TRANSFORM_VERSION + 1)
    with pytest.raises(SampleError, match="its strokes draw nothing"):
        sample.current_image()


@pytest.mark.parametrize("change, message", [
    ({"transform_version": np.array("abc")}, "transform_version 'abc' is not a version number"),
    ({"transform_version": np.array(0)}, "transform_version '0' is not a version number"),
    ({"created": np.array("yesterday")}, "created 'yesterday' is not an ISO 8601 date"),
    ({"created": np.array(5)}, "created '5' is not an ISO 8601 date"),
    ({"created": None}, "field 'created' is missing"),
])
def test_a_bad_version_or_date_is_skipped_with_a_warning(tmp_path, change, message):
    """These were read only after the checks, so one such file stopped the whole load."""
    store = SampleStore(tmp_path)
    good = save(store, 2)
    forged = tmp_path / "2_20300101T000000000000Z_00000001.npz"
    fields = {**dict(np.load(good)), **change}
    write_npz(forged, **{key: value for key, value in fields.items() if value is not None})
    loaded, warnings = store.load_all()
    assert [s.path for s in loaded] == [good]
    assert warnings == [f"{forged}: skipped, {message}"]


def test_an_archive_that_would_unpack_to_too_much_is_refused_unread(tmp_path, monkeypatch):
    """A few kilobytes of zeros compressed can claim gigabytes: the sizes are checked first."""
    store = SampleStore(tmp_path)
    good = save(store, 2)
    forged = tmp_path / "2_20300101T000000000000Z_00000001.npz"
    points = np.zeros((samples.MAX_SAMPLE_BYTES // 8 + 1, 2), np.float32)
    with open(forged, "wb") as f:
        np.savez_compressed(f, **{**dict(np.load(good)), "stroke_points": points})
    assert forged.stat().st_size < 100_000
    opened: list[str] = []
    read = np.lib.npyio.NpzFile.__getitem__
    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__",
                        lambda npz, key: opened.append(key) or read(npz, key))
    loaded, warnings = store.load_all()
    assert [s.path for s in loaded] == [good]
    assert len(warnings) == 1 and warnings[0].startswith(f"{forged}: skipped, it would unpack to")
    assert warnings[0].endswith("MB; a sample holds at most 4 MB")
    assert len(opened) == len(np.load(good).files)  # the good sample's fields only
