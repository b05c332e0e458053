"""The user-sample store: digits a person drew and labelled, to fine-tune on their handwriting.

One folder, one `.npz` file per sample, holding the strokes (so a sample can be re-rendered
if the canvas transform ever changes), the canvas size and brush they were drawn with, the
28x28 image the classifier saw, and the label. The label is also the first character of the
file name, so the app can count samples without opening a file.

A sample is never overwritten: each gets a fresh name, and the finished file is hard-linked
to that name, which fails rather than replacing anything. Files are loaded without pickle,
and a damaged or foreign one is skipped with a warning.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from digitnet import DigitnetError
from digitnet.common.digits import IMAGE_SIZE, NUM_CLASSES, TRANSFORM_VERSION
from digitnet.common.paths import default_samples_dir
from digitnet.common.sketch import DEFAULT_BRUSH, Stroke, render_strokes
from digitnet.reading.preprocess import to_mnist

SAMPLE_FORMAT = "digitnet-sample"
SAMPLE_FORMAT_VERSION = 1
SAMPLE_NAME = re.compile(r"(?P<label>[0-9])_\d{8}T\d{12}Z_[0-9a-f]{8}\.npz")
# what a real drawing can hold; beyond it a stored sample is damaged or forged (and redrawing it
# could take all memory): canvas sides in pixels, brush as a fraction of the canvas, points in
# canvas units (a stroke may leave the canvas a little)
CANVAS_SIDES = (8, 8192)
BRUSH_LIMITS = (0.001, 0.5)
POINT_LIMITS = (-1.0, 2.0)
# a sample's arrays unpacked, at most: half a million stroke points, far beyond any drawing
MAX_SAMPLE_BYTES = 4 * 2**20


class SampleError(DigitnetError):
    pass


@dataclass(frozen=True)
class Sample:
    label: int
    image: np.ndarray  # [IMAGE_SIZE, IMAGE_SIZE] float32 in [0, 1], as preprocess.to_mnist made it
    strokes: list[Stroke]  # canvas units, as in digitnet.common.sketch
    canvas_size: tuple[int, int]  # (width, height) in pixels when drawn
    brush: float
    transform_version: int  # of the canvas transform that made `image`
    created: str  # UTC, ISO 8601
    path: Path

    def render(self) -> np.ndarray:
        """The drawing again, as the canvas it was made on."""
        return render_strokes(self.strokes, self.canvas_size, self.brush)

    def current_image(self) -> np.ndarray:
        """The network's input image as this version's canvas transform makes it: redrawn if
        another version made it. SampleError if the drawing cannot be redrawn."""
        if self.transform_version == TRANSFORM_VERSION:
            return self.image
        try:
            image = to_mnist(self.render(), invert=False)
        except (DigitnetError, ValueError, MemoryError, cv2.error) as e:
            raise SampleError(f"cannot be redrawn ({type(e).__name__}: {str(e)[:100]})") from None
        if image is None:
            raise SampleError("its strokes draw nothing")
        return image


class SampleStore:
    """A folder of labelled drawings (default: the per-user samples folder)."""

    def __init__(self, folder: str | os.PathLike | None = None):
        self.folder = default_samples_dir(folder)

    def save(
        self,
        strokes: Sequence[Stroke],
        image28: np.ndarray,
        label: int,
        *,
        canvas_size: tuple[int, int],
        brush: float = DEFAULT_BRUSH,
    ) -> Path:
        """Store one drawing under a new file name; returns its path."""
        record = _validated_record(strokes, image28, label, canvas_size, brush)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, allow_pickle=False, **record)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            return _write_new_sample(self.folder, int(label), buffer.getvalue())
        except OSError as e:
            raise SampleError(f"cannot save the sample in {self.folder}: "
                              f"{e.strerror or e}") from None

    def counts(self) -> list[int]:
        """Samples per digit, from one directory listing (no file is opened): cheap for a UI."""
        counts = [0] * NUM_CLASSES
        try:
            with os.scandir(self.folder) as entries:
                for entry in entries:
                    match = SAMPLE_NAME.fullmatch(entry.name)
                    if match:
                        counts[int(match["label"])] += 1
        except (FileNotFoundError, NotADirectoryError):
            pass
        return counts

    def remove(self, path: str | os.PathLike) -> None:
        """Delete one sample of this store (the app's undo of a save); SampleError for any
        other file."""
        path = Path(path)
        if path.parent.resolve() != self.folder.resolve() or not SAMPLE_NAME.fullmatch(path.name):
            raise SampleError(f"{path} is not a sample of {self.folder}")
        try:
            path.unlink()
        except OSError as e:
            raise SampleError(f"cannot delete {path}: {e.strerror or e}") from None

    def load_all(self) -> tuple[list[Sample], list[str]]:
        """Every valid sample, in name order, and one warning for each file that was skipped."""
        if not self.folder.is_dir():
            return [], []
        samples: list[Sample] = []
        warnings: list[str] = []
        for path in sorted(self.folder.iterdir()):
            if path.name.startswith("."):
                continue  # unfinished writes and the OS's own files
            if not SAMPLE_NAME.fullmatch(path.name):
                warnings.append(f"{path}: skipped, not a sample file")
                continue
            try:
                samples.append(_read_sample(path))
            except SampleError as e:
                warnings.append(f"{path}: skipped, {e}")
        return samples, warnings


def _validated_record(strokes: Sequence[Stroke], image28: np.ndarray | None, label: int,
                      canvas_size: tuple[int, int], brush: float) -> dict[str, np.ndarray]:
    if not isinstance(label, (int, np.integer)) or not 0 <= label < NUM_CLASSES:
        raise SampleError(f"label must be a digit 0-9, got {label!r}")
    if image28 is None:
        raise SampleError("nothing is drawn")
    points = [np.asarray(s, np.float32).reshape(-1, 2) for s in strokes]
    if not points or any(len(p) == 0 for p in points):
        raise SampleError("a sample needs at least one stroke, and no stroke may be empty")
    record = {
        "format": np.array(SAMPLE_FORMAT),
        "format_version": np.array(SAMPLE_FORMAT_VERSION),
        "label": np.array(int(label)),
        "image": np.asarray(image28, np.float32),
        "stroke_points": np.concatenate(points),
        "stroke_lengths": np.array([len(p) for p in points], np.int64),
        "canvas_size": np.array(canvas_size, np.int64).reshape(2),
        "brush": np.array(float(brush)),
        "transform_version": np.array(TRANSFORM_VERSION),
        "created": np.array(datetime.now(UTC).isoformat(timespec="microseconds")),
    }
    _check_record(record)
    return record


def _check_record(record: dict[str, np.ndarray]) -> None:
    """Raise SampleError unless `record` is a sample this version can use."""
    if str(record["format"]) != SAMPLE_FORMAT:
        raise SampleError("not a digitnet sample")
    if int(record["format_version"]) != SAMPLE_FORMAT_VERSION:
        raise SampleError(f"sample format version {int(record['format_version'])} is not supported")
    label, image = int(record["label"]), record["image"]
    points, lengths = record["stroke_points"], record["stroke_lengths"]
    width, height = record["canvas_size"]
    if not 0 <= label < NUM_CLASSES:
        raise SampleError(f"label {label} is not a digit")
    if (image.shape != (IMAGE_SIZE, IMAGE_SIZE) or not np.isfinite(image).all()
            or image.min() < 0 or image.max() > 1):
        raise SampleError(f"image is not {IMAGE_SIZE}x{IMAGE_SIZE} values in [0, 1]")
    if points.ndim != 2 or points.shape[1] != 2 or not np.isfinite(points).all():
        raise SampleError("stroke points are not finite (x, y) pairs")
    if points.size and (points.min() < POINT_LIMITS[0] or points.max() > POINT_LIMITS[1]):
        raise SampleError(f"stroke points lie outside {POINT_LIMITS} (canvas units)")
    if (lengths.ndim != 1 or len(lengths) == 0 or (lengths < 1).any()
            or lengths.sum() != len(points)):
        raise SampleError("stroke lengths do not match the stroke points")
    low, high = CANVAS_SIDES
    if not (low <= width <= high and low <= height <= high):
        raise SampleError(f"canvas size {width}x{height} is outside {low}-{high} pixels")
    brush = record["brush"]
    if not (np.isfinite(brush) and BRUSH_LIMITS[0] <= brush <= BRUSH_LIMITS[1]):
        raise SampleError(f"brush {float(brush):g} is outside {BRUSH_LIMITS[0]}-{BRUSH_LIMITS[1]} "
                          "of the canvas")
    _check_stamps(record["transform_version"], record["created"])


def _check_stamps(transform_version: np.ndarray, created: np.ndarray) -> None:
    """The canvas transform's version is a whole number >= 1 and the date an ISO 8601 text."""
    if transform_version.shape or transform_version.dtype.kind not in "iu" or transform_version < 1:
        raise SampleError(f"transform_version {str(transform_version)[:40]!r} is not a version "
                          "number")
    try:
        datetime.fromisoformat(str(created) if created.dtype.kind == "U" else "")
    except ValueError:
        raise SampleError(f"created {str(created)[:40]!r} is not an ISO 8601 date") from None


def _read_sample(path: Path) -> Sample:
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        raise SampleError("not an .npz archive") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise SampleError("not an .npz archive")
    try:
        with npz:
            _check_sizes(npz)
            record = {key: npz[key] for key in npz.files}
        _check_record(record)
        return _sample(record, path)
    except KeyError as e:
        raise SampleError(f"field {e} is missing") from None
    except (OSError, ValueError, TypeError, EOFError, zipfile.BadZipFile) as e:
        raise SampleError(f"damaged ({type(e).__name__}: {str(e)[:100]})") from None


def _check_sizes(npz: np.lib.npyio.NpzFile) -> None:
    """Refuse an archive whose members would unpack to more than a drawing can hold, before
    reading them: a few compressed bytes can claim gigabytes."""
    archive = npz.zip
    if archive is None:  # closed
        raise SampleError("not an .npz archive")
    total = sum(info.file_size for info in archive.infolist())
    if total > MAX_SAMPLE_BYTES:
        raise SampleError(f"it would unpack to {total / 1e6:.0f} MB; a sample holds at most "
                          f"{MAX_SAMPLE_BYTES / 1e6:.0f} MB")


def _sample(record: dict[str, np.ndarray], path: Path) -> Sample:
    """The checked record as a Sample (SampleError if its file's name says another digit)."""
    label = int(record["label"])
    if not path.name.startswith(str(label)):  # load_all reads only names that match SAMPLE_NAME
        raise SampleError(f"its name says digit {path.name[0]} but it holds a {label}")
    ends = np.cumsum(record["stroke_lengths"])[:-1]
    width, height = (int(v) for v in record["canvas_size"])
    return Sample(
        label=label,
        image=record["image"].astype(np.float32),
        strokes=np.split(record["stroke_points"].astype(np.float32), ends),
        canvas_size=(width, height),
        brush=float(record["brush"]),
        transform_version=int(record["transform_version"]),
        created=str(record["created"]),
        path=path,
    )


def _write_new_sample(folder: Path, label: int, data: bytes) -> Path:
    """Write `data` atomically under a new SAMPLE_NAME (label, UTC time, random suffix); never
    over a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{label}_", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        while True:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            path = folder / f"{label}_{stamp}_{secrets.token_hex(4)}.npz"
            try:
                os.link(tmp, path)  # atomic, and fails rather than replace an existing file
                return path
            except FileExistsError:
                continue
    finally:
        os.unlink(tmp)
