"""UNIPEN's isolated characters (train_r01_v07, categories 1a-1d): real pen digits, letters and
symbols by 190 writers of 16 collections ("providers"), as strokes.

`unipen.npz` packs every sample's strokes in one layout, which Quick, Draw!'s sample shares
(`read_packed`): `points` (x, y; y down, each provider's own units), `stroke_ends` (stroke k is
points[stroke_ends[k-1]:stroke_ends[k]]) and `sample_ends` (sample i is strokes
sample_ends[i-1] to sample_ends[i] - 1), and per sample its `label`, `category` ('digit',
'upper', 'lower', 'symbol'), `writer` ('provider/id') and `provider`. Providers record in
their own units, so samples are placed by their bounding box (strokes.lay_out does).

Letters and symbols are real drawings that are not digits, but some read as one once scaled
to a digit's box: `DIGIT_LIKE` lists them. They are neither taught as digits nor as "not a
digit" (a person who draws an O in a digit reader may mean 0), and the benchmarks report them
apart from the other letters.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitnet import DigitnetError
from digitnet.common.paths import DataSet, find_data

UNIPEN_DATA = DataSet("UNIPEN", "unipen", "unipen.npz", "DIGITNET_UNIPEN")
CATEGORIES = ("digit", "upper", "lower", "symbol")
PACKED_KEYS = ("points", "stroke_ends", "sample_ends")
# Characters that can pass for a digit once scaled to a digit's box, and the digit they pass
# for: round ones (0), strokes and bars (1), curls (2, 5, 6, 9), and double loops (8, 3).
# The letters are those digitnet.data.scribbles leaves out of its generated letters, in both cases
# where they are written alike; dots, commas and quotes are placed as large as a digit here.
DIGIT_LIKE = {
    "0": "OoDQCc",
    "1": "Il|/\\!iJjLr()[]{^'`,.:;",
    "2": "Zz?",
    "3": "}",
    "5": "Ss$",
    "6": "Gb",
    "8": "B&",
    "9": "qgaPpy",
}
DIGIT_LIKE_CHARACTERS = frozenset("".join(DIGIT_LIKE.values()))


class UnipenError(DigitnetError):
    pass


@dataclass(frozen=True, eq=False)
class Characters:
    """Pen characters: each sample's strokes ([K, 2] float32 (x, y), y down) and its columns."""

    strokes: list[tuple[np.ndarray, ...]]
    label: np.ndarray  # str: the character
    category: np.ndarray  # str: 'digit', 'upper', 'lower' or 'symbol'
    writer: np.ndarray  # str: 'provider/id'
    provider: np.ndarray  # str

    def __len__(self) -> int:
        return len(self.label)

    def where(self, keep: np.ndarray) -> Characters:
        """The samples where `keep` (bool [N]) is true, in order."""
        chosen = np.flatnonzero(keep)
        return Characters([self.strokes[i] for i in chosen], self.label[chosen],
                          self.category[chosen], self.writer[chosen], self.provider[chosen])

    def digit_like(self) -> np.ndarray:
        """bool [N]: letters and symbols that can pass for a digit (`DIGIT_LIKE`)."""
        return (self.category != "digit") & np.isin(self.label, list(DIGIT_LIKE_CHARACTERS))


def open_npz(path: Path, data: DataSet, error: type[DigitnetError],
             keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The arrays `keys` of an .npz file (no pickles); one line naming the file for anything
    wrong."""
    try:
        with np.load(path, allow_pickle=False) as loaded:
            missing = [key for key in keys if key not in loaded.files]
            if missing:
                raise error(f"{path}: not {data.name}'s file (no {', '.join(missing)})")
            return {key: loaded[key] for key in keys}
    except FileNotFoundError:
        raise error(data.not_found(path)) from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise error(f"{path}: not a readable .npz file ({e})") from None


def read_packed(arrays: dict[str, np.ndarray], where: str,
                error: type[DigitnetError]) -> list[tuple[np.ndarray, ...]]:
    """Each sample's strokes from the packed layout (see the module's docstring), checked."""
    points = arrays["points"]
    stroke_ends, sample_ends = arrays["stroke_ends"], arrays["sample_ends"]
    if points.ndim != 2 or points.shape[1] != 2 or not np.isfinite(points).all():
        raise error(f"{where}: points should be finite (x, y) rows, found {points.shape}")
    for name, ends, total in (("stroke_ends", stroke_ends, len(points)),
                              ("sample_ends", sample_ends, len(stroke_ends))):
        steps = np.diff(ends, prepend=0)
        if ends.ndim != 1 or len(ends) == 0 or (steps <= 0).any() or ends[-1] != total:
            raise error(f"{where}: {name} should rise strictly to {total}")
    strokes = np.split(points.astype(np.float32), stroke_ends[:-1])
    starts = np.concatenate([[0], sample_ends[:-1]])
    return [tuple(strokes[a:b]) for a, b in zip(starts, sample_ends, strict=True)]


def load_unipen(path: str | os.PathLike | None = None,
                data_dir: str | os.PathLike | None = None) -> Characters:
    """Every sample of unipen.npz (default: where digitnet.common.paths.find_data finds it), in
    file order."""
    path = find_data(UNIPEN_DATA, path, data_dir)
    columns = ("label", "category", "writer", "provider")
    arrays = open_npz(path, UNIPEN_DATA, UnipenError, PACKED_KEYS + columns)
    strokes = read_packed(arrays, str(path), UnipenError)
    if any(len(arrays[key]) != len(strokes) for key in columns):
        raise UnipenError(f"{path}: {', '.join(columns)} should have one entry per sample")
    unknown = set(arrays["category"].tolist()) - set(CATEGORIES)
    if unknown:
        raise UnipenError(f"{path}: unknown categories {sorted(unknown)}")
    return Characters(strokes, *(arrays[key].astype(str) for key in columns))
