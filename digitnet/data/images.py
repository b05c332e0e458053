"""Reading image files safely, for `predict`: a bad file is one ImageError, never a crash.

Pillow decodes (it checks the pixel count a header claims before decoding anything, and it
reports truncated files instead of filling them in). On top of that: JPEG/TIFF EXIF orientation
is applied, huge images are reduced to at most MAX_SIDE pixels a side (the transform ends at
20x20 anyway), and every mode becomes an array `preprocess.to_mnist` takes: gray, gray+alpha,
BGR or BGRA, in uint8, uint16 or float32. Float TIFFs with several channels, which Pillow cannot
decode, go to OpenCV once their header's size has been checked.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, TiffImagePlugin, UnidentifiedImageError

from digitnet import DigitnetError

MAX_SIDE = 2048  # larger images are box-reduced first: the digit ends up 20 pixels high
# Pillow's modes -> the mode to convert to first (None: take the pixels as they are)
MODES: dict[str, str | None] = {
    "L": None, "LA": None, "RGB": None, "RGBA": None, "F": None, "I": None,
    "I;16": None, "I;16L": None, "I;16B": None, "I;16N": None,
    "1": "L", "La": "LA", "PA": "RGBA", "RGBa": "RGBA", "RGBX": "RGB",
    "CMYK": "RGB", "YCbCr": "RGB", "LAB": "RGB", "HSV": "RGB",
}


class ImageError(DigitnetError):
    """An image file that cannot be read: the message names the file and the reason."""


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """The pixels of an image file, for to_mnist; ImageError if it cannot be read safely."""
    path = Path(path)
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if not path.is_file():
        raise ImageError(f"{path}: not a file")
    with warnings.catch_warnings(), _native_stderr_silenced():
        warnings.simplefilter("ignore")  # Pillow's notes on damage it survives: not our user's
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _open(path)
        except UnidentifiedImageError:
            return _read_float_tiff(path)
        with image:
            return _decode(path, image)


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for a while: libtiff and OpenCV print their own
    complaints there, and the user gets ours, in one line."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _open(path: Path) -> Image.Image:
    """Identify the file and read its header; refuse a claimed size over Pillow's limit."""
    try:
        return Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        claimed = re.search(r"\((\d+) pixels\)", str(e))
        count = f"{int(claimed.group(1)):,} pixels" if claimed else "too many pixels"
        raise ImageError(f"{path}: refused: its header claims {count}, more than the "
                         f"{Image.MAX_IMAGE_PIXELS:,} digitnet decodes") from None
    except UnidentifiedImageError:
        raise
    except OSError as e:
        raise ImageError(f"{path}: cannot read ({e.strerror or _first_line(e)})") from None
    except Exception as e:  # header parsers raise many types for hostile data
        raise ImageError(f"{path}: not a readable image ({_first_line(e)})") from None


def _decode(path: Path, image: Image.Image) -> np.ndarray:
    """Decode fully (truncation and damage show here), upright, reduced, as an array."""
    try:
        image.draft(image.mode, (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a reduced scale
        image.load()
        image = ImageOps.exif_transpose(image)
        image = _plain_mode(image)
        factor = -(-max(image.size) // MAX_SIDE)  # ceiling division
        if factor > 1:
            image = image.reduce(factor)
        return _to_array(image)
    except Exception as e:  # decoders raise many types for damaged data
        raise ImageError(f"{path}: cannot decode: {_first_line(e)}") from None


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__


def _plain_mode(image: Image.Image) -> Image.Image:
    """An image in one of the modes _to_array knows; other modes go through RGB."""
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    target = MODES.get(image.mode, "RGB")
    return image.convert(target) if target else image


def _to_array(image: Image.Image) -> np.ndarray:
    pixels = np.asarray(image)
    if image.mode == "I" and pixels.min() >= 0 and pixels.max() <= np.iinfo(np.uint16).max:
        return pixels.astype(np.uint16)  # 16-bit pixels in Pillow's 32-bit container
    if image.mode in ("RGB", "RGBA"):
        return np.ascontiguousarray(pixels[..., [2, 1, 0, 3][: pixels.shape[2]]])  # -> BGR(A)
    return pixels


def _read_float_tiff(path: Path) -> np.ndarray:
    """Multi-channel or 64-bit float TIFFs, through OpenCV after checking the claimed size."""
    width, height = _tiff_size(path)
    if width * height > (Image.MAX_IMAGE_PIXELS or 0):
        raise ImageError(f"{path}: refused: its header claims {width * height:,} pixels, more "
                         f"than the {Image.MAX_IMAGE_PIXELS:,} digitnet decodes")
    import cv2

    try:
        pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        pixels = None
    if pixels is None or pixels.shape[:2] != (height, width):
        raise ImageError(f"{path}: cannot decode: damaged or truncated TIFF")
    return pixels


def _tiff_size(path: Path) -> tuple[int, int]:
    """(width, height) from a TIFF's first directory; ImageError if it is no TIFF."""
    not_an_image = ImageError(f"{path}: not a readable image (unknown format or damaged header)")
    with open(path, "rb") as file:
        header = file.read(8)
        if header[:4] not in TiffImagePlugin.PREFIXES:
            raise not_an_image
        try:
            directory = TiffImagePlugin.ImageFileDirectory_v2(header)
            file.seek(directory.next)
            directory.load(file)
            width, height = int(directory[256]), int(directory[257])
        except Exception:  # any damage in the directory
            raise not_an_image from None
    return width, height
