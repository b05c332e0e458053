"""UNIPEN's packed characters, Quick, Draw!'s doodles (the same layout) and CVL's scans: read,
checked, and every broken file one line naming it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from digitnet.data.cvl import CvlError, load_cvl
from digitnet.data.quickdraw import QuickDrawError, load_quickdraw
from digitnet.data.unipen import UnipenError, load_unipen


def packed(path: Path, **columns: object) -> Path:
    """Three samples: one of two strokes, then two of one stroke (y down)."""
    points = np.arange(14, dtype=np.float32).reshape(7, 2)
    arrays = {"points": points, "stroke_ends": np.array([2, 3, 5, 7]),
              "sample_ends": np.array([2, 3, 4]), **columns}
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


UNIPEN = {"label": np.array(["7", "O", "x"]), "category": np.array(["digit", "upper", "lower"]),
          "writer": np.array(["apa/a", "apa/a", "syn/b"]),
          "provider": np.array(["apa", "apa", "syn"])}


def test_characters_are_read_stroke_by_stroke_with_their_columns(tmp_path):
    characters = load_unipen(packed(tmp_path / "u.npz", **UNIPEN))
    assert len(characters) == 3 and [len(s) for s in characters.strokes] == [2, 1, 1]
    np.testing.assert_array_equal(characters.strokes[0][1], [[4, 5]])
    np.testing.assert_array_equal(characters.strokes[2][0], [[10, 11], [12, 13]])
    assert characters.digit_like().tolist() == [False, True, False]
    kept = characters.where(characters.provider == "syn")
    assert kept.label.tolist() == ["x"] and len(kept.strokes) == 1


def test_doodles_share_the_layout(tmp_path):
    doodles = load_quickdraw(packed(tmp_path / "q.npz", label=np.array(["cat", "circle", "car"])))
    assert doodles.digit_like().tolist() == [False, True, False]
    assert [len(s) for s in doodles.where(~doodles.digit_like()).strokes] == [2, 1]


@pytest.mark.parametrize("change, message", [
    ({"stroke_ends": np.array([2, 2, 5, 7])}, "stroke_ends should rise strictly to 7"),
    ({"sample_ends": np.array([2, 3, 5])}, "sample_ends should rise strictly to 4"),
    ({"points": np.full((7, 2), np.nan, np.float32)}, "points should be finite"),
    ({"label": np.array(["7"])}, "one entry per sample"),
    ({"category": np.array(["digit", "upper", "greek"])}, "unknown categories"),
])
def test_a_broken_unipen_file_is_one_line_naming_it(tmp_path, change, message):
    path = packed(tmp_path / "u.npz", **{**UNIPEN, **change})
    with pytest.raises(UnipenError, match=message) as info:
        load_unipen(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_foreign_files_are_one_line(tmp_path):
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(UnipenError, match="not a readable .npz"):
        load_unipen(tmp_path / "text.npz")
    with pytest.raises(QuickDrawError, match="no label"):
        load_quickdraw(packed(tmp_path / "q.npz"))
    np.savez(tmp_path / "c.npz", images=np.zeros((2, 28, 28), np.uint8), label=np.array([1, 12]),
             writer=np.array([3, 3]), split=np.array(["train", "valid"]))
    with pytest.raises(CvlError, match="labels should be 0-9"):
        load_cvl(tmp_path / "c.npz")
    np.savez(tmp_path / "c.npz", images=np.zeros((2, 20, 20), np.uint8), label=np.array([1, 2]),
             writer=np.array([3, 3]), split=np.array(["train", "valid"]))
    with pytest.raises(CvlError, match="uint8 28x28"):
        load_cvl(tmp_path / "c.npz")
