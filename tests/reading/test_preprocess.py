import cv2
import numpy as np
import pytest
from shapes import SEVEN

from digitnet import DigitnetError
from digitnet.common.sketch import render_strokes
from digitnet.reading.preprocess import BOX, CENTRE, FRAME, to_mnist, to_unit_float


def digit_of(image: np.ndarray, invert: bool | None = None) -> np.ndarray:
    """to_mnist's image of a drawing that is not blank."""
    out = to_mnist(image, invert=invert)
    assert out is not None
    return out


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(image.shape)
    return float((ys * image).sum() / image.sum()), float((xs * image).sum() / image.sum())


def ink_box(image: np.ndarray, level: float = 0.05) -> tuple[int, int]:
    """(height, width) of the region above `level`."""
    rows, cols = np.nonzero(image > level)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def seven(size=(400, 300), brush=0.06) -> np.ndarray:
    return render_strokes(SEVEN, size, brush)


@pytest.mark.parametrize(
    "canvas",
    [
        seven(),
        seven((4000, 4000)),
        seven((60, 500)),
        cv2.cvtColor(seven(), cv2.COLOR_GRAY2BGR),
        seven().astype(np.float32) / 255,
        255 - seven(),
    ],
    ids=["gray", "4000x4000", "portrait-sliver", "bgr", "float", "dark-on-light"],
)
def test_output_is_mnist_shaped_and_centred(canvas):
    out = to_mnist(canvas)
    assert out.shape == (FRAME, FRAME) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() == pytest.approx(1.0)
    cy, cx = centre_of_mass(out)
    assert abs(cy - CENTRE) <= 0.5 and abs(cx - CENTRE) <= 0.5
    assert max(ink_box(out)) == BOX
    assert out[0].max() == 0 or out[:, 0].max() == 0  # a margin remains


def test_polarity_is_detected_and_can_be_forced():
    light_on_dark = seven()
    auto_dark = to_mnist(255 - light_on_dark)
    np.testing.assert_allclose(to_mnist(light_on_dark), auto_dark, atol=1e-5)
    np.testing.assert_allclose(to_mnist(255 - light_on_dark, invert=True), auto_dark, atol=1e-5)
    # forcing the wrong polarity reads the paper as ink: a filled frame, not a seven
    wrong = to_mnist(light_on_dark, invert=True)
    assert wrong is None or wrong.mean() > auto_dark.mean()


def test_aspect_ratio_is_kept():
    canvas = np.zeros((500, 500), np.uint8)
    cv2.rectangle(canvas, (200, 100), (299, 399), 255, -1)  # 100 wide, 300 high
    out = to_mnist(canvas)
    height, width = ink_box(out, 0.5)
    assert height == BOX and width == pytest.approx(BOX / 3, abs=1)


def test_blank_canvases_are_blank():
    assert to_mnist(np.zeros((300, 300), np.uint8)) is None
    assert to_mnist(np.full((300, 300), 255, np.uint8)) is None
    assert to_mnist(np.full((300, 300, 3), 128, np.uint8)) is None
    # faint sensor noise
    noise = np.random.default_rng(0).integers(0, 10, (300, 300)).astype(np.uint8)
    assert to_mnist(noise) is None


def test_single_dot_is_a_centred_blob():
    canvas = np.zeros((300, 300), np.uint8)
    canvas[40, 250] = 255
    out = to_mnist(canvas)
    assert out is not None
    cy, cx = centre_of_mass(out)
    assert abs(cy - CENTRE) <= 0.5 and abs(cx - CENTRE) <= 0.5


def test_one_pixel_high_line_stays_visible():
    canvas = np.zeros((200, 600), np.uint8)
    canvas[120, 50:550] = 255
    out = to_mnist(canvas)
    height, width = ink_box(out)
    assert width == BOX and height <= 2
    assert out.max() == pytest.approx(1.0)  # full contrast, not a faint smear


def test_same_drawing_at_any_size_gives_nearly_the_same_image():
    small, huge = to_mnist(seven((280, 280))), to_mnist(seven((2800, 2800)))
    assert np.abs(small - huge).mean() < 0.03


@pytest.mark.parametrize("image, message", [
    (np.zeros((0, 10), np.uint8), r"shape \(0, 10\)"),
    (np.zeros((4, 4, 4, 4), np.uint8), r"shape \(4, 4, 4, 4\)"),
    (np.zeros((4, 4, 5), np.uint8), r"shape \(4, 4, 5\)"),
    (np.zeros(4, np.uint8), r"shape \(4,\)"),
    (np.zeros((4, 4), np.complex64), "complex64 pixels"),
    (np.full((4, 4), "x"), "<U1 pixels"),
])
def test_bad_images_are_one_line_errors(image: np.ndarray, message: str) -> None:
    with pytest.raises(DigitnetError, match=message):
        to_mnist(image)


def test_transparent_images_are_composited_by_what_is_ink() -> None:
    ink = seven()
    for colour in (255, 0):  # white ink, black ink; the background is transparent either way
        bgra = np.dstack([np.full_like(ink, colour)] * 3 + [ink])
        np.testing.assert_allclose(digit_of(bgra), digit_of(ink), atol=1e-2)
    opaque = np.dstack([cv2.cvtColor(255 - ink, cv2.COLOR_GRAY2BGR), np.full_like(ink, 255)])
    np.testing.assert_allclose(digit_of(opaque), digit_of(255 - ink), atol=1e-6)
    assert to_mnist(np.zeros((50, 50, 4), np.uint8)) is None  # nothing is opaque: blank
    gray_alpha = np.dstack([np.full_like(ink, 255), ink])
    np.testing.assert_allclose(digit_of(gray_alpha), digit_of(ink), atol=1e-2)


@pytest.mark.parametrize("pixels, expected", [
    (np.array([[0, 255]], np.int64), [[0, 1]]),  # 8-bit values in numpy's default int
    (np.array([[0, 65535]], np.uint16), [[0, 1]]),
    (np.array([[True, False]]), [[1, 0]]),
    (np.array([[0.0, 0.5]]), [[0, 0.5]]),  # floats in [0, 1] stay
    (np.array([[-1.0, 3.0, 1.0]]), [[0, 1, 0.5]]),  # others are stretched
    (np.array([[-1000, 1000]], np.int32), [[0, 1]]),
    (np.array([[np.nan, 0.2, 0.2, 1.0, np.inf]]), [[0.2, 0.2, 0.2, 1.0, 0.2]]),
    (np.array([[-1e308, 1e308]]), [[0, 1]]),  # a range wider than float64 can hold
    (np.array([[np.nan, np.inf]]), [[0, 0]]),
    (np.full((1, 2), 7.5), [[0, 0]]),  # one value: no contrast
])
def test_unit_float_scaling(pixels: np.ndarray, expected: list[list[float]]) -> None:
    got = to_unit_float(pixels)
    assert got.dtype == np.float32 and np.isfinite(got).all()
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_non_finite_and_out_of_range_floats_read_like_the_clean_drawing() -> None:
    clean = seven().astype(np.float32) / 255
    spoiled = clean * 200 - 50  # an arbitrary range
    spoiled[0, :40] = np.nan
    spoiled[10, 10] = np.inf
    np.testing.assert_allclose(digit_of(spoiled), digit_of(clean), atol=1e-5)
    assert to_mnist(np.full((30, 30), np.nan)) is None


def test_views_and_byte_orders_are_read() -> None:
    canvas = seven()
    flipped = digit_of(canvas[::-1, ::-1])  # a view with negative strides
    np.testing.assert_allclose(flipped, digit_of(np.ascontiguousarray(canvas[::-1, ::-1])))
    big_endian = (canvas.astype(np.float64) / 255).astype(">f8")
    np.testing.assert_allclose(digit_of(big_endian), digit_of(canvas), atol=1e-5)
