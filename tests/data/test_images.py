"""Reading image files: every way a file can be hostile or odd, made on the spot in tmp_path."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import bomb_png, png_chunk
from PIL import Image, PngImagePlugin, TiffImagePlugin
from shapes import SEVEN

from digitnet.common.sketch import render_strokes
from digitnet.data.images import MAX_SIDE, ImageError, read_image
from digitnet.reading.preprocess import to_mnist


def seven(size: tuple[int, int] = (160, 120)) -> np.ndarray:
    """A light seven on black, uint8 (width, height = size)."""
    return render_strokes(SEVEN, size, 0.08)


def assert_same_digit(image: np.ndarray, expected: np.ndarray, atol: float = 0.06) -> None:
    """Both read as the same 28x28 digit (mean absolute difference below atol)."""
    got, want = to_mnist(image), to_mnist(expected)
    assert got is not None and want is not None
    assert np.abs(got - want).mean() < atol


def test_a_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png())
    assert path.stat().st_size < 1000
    with pytest.raises(ImageError, match=r"bomb\.png: refused: its header claims 4,294,836,225 "):
        read_image(path)


def test_a_bomb_in_a_text_chunk_is_refused(tmp_path: Path) -> None:
    """A 10x10 PNG whose comment inflates to megabytes: Pillow's limit, one line."""
    text = b"Comment\x00\x00" + zlib.compress(b"A" * (PngImagePlugin.MAX_TEXT_CHUNK * 2), 9)
    path = tmp_path / "text.png"
    cv2.imwrite(str(path), np.zeros((10, 10), np.uint8))
    data = path.read_bytes()
    at = data.index(b"IDAT") - 4  # the comment goes before the pixels
    path.write_bytes(data[:at] + png_chunk(b"zTXt", text) + data[at:])
    with pytest.raises(ImageError, match=r"text\.png: not a readable image \(Decompressed data"):
        read_image(path)


def test_decoder_complaints_stay_off_the_terminal(tmp_path: Path,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    """libtiff prints its own lines on file descriptor 2; the user gets digitnet's one line."""
    path = tmp_path / "lzw.tiff"
    Image.fromarray(seven()).save(path, compression="tiff_lzw")
    with Image.open(path) as image:
        assert isinstance(image, TiffImagePlugin.TiffImageFile)
        start, length = image.tag_v2[273][0], image.tag_v2[279][0]  # the strip's offset, size
    data = bytearray(path.read_bytes())
    data[start + length // 2: start + length // 2 + 8] = b"\xff" * 8  # codes not in the table
    path.write_bytes(data)
    with pytest.raises(ImageError, match=r"lzw\.tiff: cannot decode: "):
        read_image(path)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_a_truncated_file_is_an_error_not_a_partial_image(tmp_path: Path, suffix: str) -> None:
    whole = tmp_path / f"whole{suffix}"
    cv2.imwrite(str(whole), seven((400, 300)))
    data = whole.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: len(data) * 2 // 3])
    assert read_image(whole).shape == (300, 400)
    with pytest.raises(ImageError, match=r"cut\.(jpg|png): cannot decode: .*truncated"):
        read_image(cut)


@pytest.mark.parametrize("orientation, store", [
    (3, lambda a: a[::-1, ::-1]),  # the camera stored it upside down
    (6, lambda a: np.rot90(a, 1)),  # turned a quarter counter-clockwise: show it turned back
    (8, lambda a: np.rot90(a, -1)),  # turned a quarter clockwise
])
def test_exif_orientation_is_applied(tmp_path: Path, orientation: int,
                                     store: Callable[[np.ndarray], np.ndarray]) -> None:
    upright = 255 - seven()
    stored = np.ascontiguousarray(store(upright))
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "photo.jpg"
    Image.fromarray(stored).save(path, exif=exif, quality=95)
    image = read_image(path)
    assert image.shape == upright.shape
    assert_same_digit(image, upright)


def test_white_ink_on_transparent_background_is_ink(tmp_path: Path) -> None:
    ink = seven()
    bgra = np.dstack([np.full_like(ink, 255)] * 3 + [ink])  # white everywhere, alpha = the ink
    cv2.imwrite(str(tmp_path / "white.png"), bgra)
    dark = bgra.copy()
    dark[..., :3] = 0  # black ink on transparent: must read the same
    cv2.imwrite(str(tmp_path / "black.png"), dark)
    for name in ("white.png", "black.png"):
        image = read_image(tmp_path / name)
        assert image.shape == ink.shape + (4,)
        assert_same_digit(image, ink, atol=0.01)


def test_gray_alpha_and_palette_transparency(tmp_path: Path) -> None:
    ink = seven()
    Image.fromarray(np.dstack([np.full_like(ink, 255), ink]), "LA").save(tmp_path / "la.png")
    palette = Image.fromarray(ink).convert("P")
    palette.info["transparency"] = 0  # index 0, the black background, is transparent
    palette.save(tmp_path / "p.png", transparency=0)
    for name in ("la.png", "p.png"):
        assert_same_digit(read_image(tmp_path / name), ink, atol=0.02)


def test_non_finite_pixels_count_as_background(tmp_path: Path) -> None:
    clean = seven().astype(np.float32) / 255
    spoiled = clean.copy()
    spoiled[5, 5], spoiled[100, 10], spoiled[0, 0] = np.nan, np.inf, -np.inf
    cv2.imwrite(str(tmp_path / "nan.tiff"), spoiled)
    image = read_image(tmp_path / "nan.tiff")
    assert image.dtype == np.float32 and np.isnan(image).any()
    got, want = to_mnist(image), to_mnist(clean)
    assert got is not None and want is not None and np.isfinite(got).all()
    np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("name, pixels", [
    ("u16.png", (seven().astype(np.uint16) * 257)),
    ("u16.tiff", (seven().astype(np.uint16) * 257)),
    ("f32.tiff", seven().astype(np.float32) / 255),
    ("f32x3.tiff", cv2.cvtColor(seven().astype(np.float32) / 255, cv2.COLOR_GRAY2BGR)),
    ("f64.tiff", seven().astype(np.float64) * 3.5 - 100),  # floats outside [0, 1]: stretched
    ("bgr.png", cv2.cvtColor(seven(), cv2.COLOR_GRAY2BGR)),
    ("bgr.webp", cv2.cvtColor(seven(), cv2.COLOR_GRAY2BGR)),
    ("gray.bmp", seven()),
])
def test_deep_float_and_colour_images_read_like_8_bit(tmp_path: Path, name: str,
                                                      pixels: np.ndarray) -> None:
    path = tmp_path / name
    assert cv2.imwrite(str(path), pixels)
    image = read_image(path)
    assert image.shape[:2] == pixels.shape[:2]
    assert_same_digit(image, seven(), atol=0.02)


def test_colour_comes_back_in_opencv_order(tmp_path: Path) -> None:
    bgr = np.zeros((20, 30, 3), np.uint8)
    bgr[..., 0] = 200  # blue
    cv2.imwrite(str(tmp_path / "blue.png"), bgr)
    np.testing.assert_array_equal(read_image(tmp_path / "blue.png"), bgr)


def test_huge_images_are_reduced(tmp_path: Path) -> None:
    wide = seven((3 * MAX_SIDE // 2, 600))
    cv2.imwrite(str(tmp_path / "wide.png"), wide)
    image = read_image(tmp_path / "wide.png")
    assert max(image.shape) <= MAX_SIDE
    assert_same_digit(image, wide, atol=0.03)


def test_16_bit_pixels_in_a_32_bit_container(tmp_path: Path) -> None:
    Image.fromarray(seven().astype(np.int32) * 257, "I").save(tmp_path / "i.tiff")
    image = read_image(tmp_path / "i.tiff")
    assert image.dtype == np.uint16
    assert_same_digit(image, seven(), atol=0.01)


def tiff_header(width: int, height: int) -> bytes:
    """A little-endian TIFF with one directory: 3 float32 samples a pixel, no pixel data."""
    tags = [(256, 4, width), (257, 4, height), (258, 3, 32), (259, 3, 1), (262, 3, 2),
            (273, 4, 0), (277, 3, 3), (278, 4, height), (279, 4, 0), (339, 3, 3)]
    directory = struct.pack("<H", len(tags))
    for tag, kind, value in tags:
        directory += struct.pack("<HHI", tag, kind, 1)
        directory += struct.pack("<HH" if kind == 3 else "<I", *((value, 0) if kind == 3 else
                                                                (value,)))
    return b"II*\x00" + struct.pack("<I", 8) + directory + struct.pack("<I", 0)


def test_a_float_tiff_claiming_too_many_pixels_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.tiff").write_bytes(tiff_header(65535, 65535))
    with pytest.raises(ImageError, match=r"big\.tiff: refused: its header claims 4,294,836,225"):
        read_image(tmp_path / "big.tiff")
    (tmp_path / "small.tiff").write_bytes(tiff_header(30, 20))  # no pixel data follows
    with pytest.raises(ImageError, match=r"small\.tiff: cannot decode"):
        read_image(tmp_path / "small.tiff")


@pytest.mark.parametrize("name, content, reason", [
    ("missing.png", None, "no such file"),
    ("folder.png", "folder", "not a file"),
    ("empty.png", b"", "not a readable image"),
    ("noise.jpg", bytes(np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8)),
     "not a readable image"),
    ("header-only.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "not a readable image"),
    ("text.tiff", b"II*\x00 this is not a directory", "not a readable image"),
])
def test_unreadable_files_say_why(tmp_path: Path, name: str, content: bytes | str | None,
                                  reason: str) -> None:
    path = tmp_path / name
    if content == "folder":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(ImageError) as error:
        read_image(path)
    assert str(error.value).startswith(f"{path}: {reason}")
    assert "\n" not in str(error.value)
