"""Property tests: random images of any shape, dtype and content, as arrays and as files.

The transform and predict's file path may refuse an image, but only with the project's own
error (one line for the user); whatever they accept gives a finite answer.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from digitnet import DigitnetError
from digitnet.cli.choose import Readers
from digitnet.cli.main import read_file
from digitnet.common.digits import IMAGE_SIZE, NUM_CLASSES
from digitnet.model.classifier import Classifier
from digitnet.reading.preprocess import to_mnist

DTYPES = st.sampled_from([np.dtype(name) for name in (
    "bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
    "float16", "float32", "float64", "complex64", "<U2", ">u2", ">f8")])
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=9)
INVERT = st.sampled_from([None, True, False])

# what Pillow writes: (mode, numpy dtype, channels, formats that take the mode)
FILE_KINDS = [
    ("L", np.uint8, 1, ["PNG", "JPEG", "BMP", "TIFF", "WEBP", "GIF"]),
    ("LA", np.uint8, 2, ["PNG"]),
    ("RGB", np.uint8, 3, ["PNG", "JPEG", "BMP", "TIFF", "WEBP"]),
    ("RGBA", np.uint8, 4, ["PNG", "TIFF", "WEBP"]),
    ("I;16", np.uint16, 1, ["PNG", "TIFF"]),
    ("I", np.int32, 1, ["TIFF"]),
    ("F", np.float32, 1, ["TIFF"]),
]


def check_mnist_image(image: np.ndarray | None) -> None:
    if image is not None:
        assert image.shape == (IMAGE_SIZE, IMAGE_SIZE) and image.dtype == np.float32
        assert np.isfinite(image).all() and image.min() >= 0 and image.max() <= 1


@settings(max_examples=300, deadline=None)
@given(image=hnp.arrays(DTYPES, SHAPES), invert=INVERT)
def test_to_mnist_takes_anything_or_says_why(image: np.ndarray, invert: bool | None) -> None:
    try:
        result = to_mnist(image, invert=invert)
    except DigitnetError as e:
        assert "\n" not in str(e)
        return
    check_mnist_image(result)


@settings(max_examples=150, deadline=None)
@given(image=hnp.arrays(st.sampled_from([np.dtype(name) for name in
                                         ("uint8", "uint16", "float32", "float64", "int64")]),
                        hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=60)
                        .filter(lambda shape: len(shape) == 2 or shape[2] <= 4)),
       invert=INVERT)
def test_to_mnist_reads_every_image_shape(image: np.ndarray, invert: bool | None) -> None:
    check_mnist_image(to_mnist(image, invert=invert))


@pytest.fixture(scope="module")
def classifier(shipped_weights: Path) -> Classifier:
    return Classifier.load(shipped_weights)


@st.composite
def image_files(draw: st.DrawFn) -> bytes:
    """An encoded image file of random pixels, sometimes cut short or with a byte changed."""
    mode, dtype, channels, formats = draw(st.sampled_from(FILE_KINDS))
    height, width = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    shape = (height, width) if channels == 1 else (height, width, channels)
    pixels = draw(hnp.arrays(dtype, shape))
    buffer = io.BytesIO()
    image = Image.fromarray(pixels)  # numpy's type and shape make the mode
    assert image.mode == mode
    image.save(buffer, format=draw(st.sampled_from(formats)))
    data = buffer.getvalue()
    damage = draw(st.sampled_from(["none", "cut", "flip"]))
    if damage == "cut":
        return data[: draw(st.integers(0, len(data) - 1))]
    if damage == "flip":
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    return data


def check_prediction_of(classifier: Classifier, path: Path, invert: bool | None) -> None:
    try:
        reading = read_file(Readers(classifier, None), str(path), invert).reading
    except DigitnetError as e:
        assert str(e).startswith(f"{path}: ") and "\n" not in str(e)
        return
    for part in reading.digits:
        prediction = part.prediction
        assert len(prediction.probs) == NUM_CLASSES and np.isfinite(prediction.probs).all()
        assert np.isfinite(prediction.confidence)
        box = part.box
        assert min(box.left, box.top) >= 0 and min(box.width, box.height) > 0


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=image_files(), invert=INVERT)
def test_predict_reads_any_file_or_says_why(classifier: Classifier, tmp_path_factory,
                                            data: bytes, invert: bool | None) -> None:
    path = tmp_path_factory.mktemp("file") / "image"
    path.write_bytes(data)
    check_prediction_of(classifier, path, invert)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=2000))
def test_predict_on_random_bytes(classifier: Classifier, tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("bytes") / "noise.png"
    path.write_bytes(data)
    check_prediction_of(classifier, path, None)
