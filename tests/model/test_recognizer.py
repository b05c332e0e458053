"""The recognizer: a weights file plus the canvas transform, as the app and predict use it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from digitnet.common.prediction import BLANK
from digitnet.model.networks import MODELS, create_model
from digitnet.model.recognizer import Recognizer
from digitnet.model.registry import MODEL_NAMES
from digitnet.model.weights import (
    WeightsError,
    WeightsInfo,
    WeightsMetadata,
    load_weights,
    save_weights,
)
from digitnet.reading.preprocess import find_ink, frame_ink


def test_classifies_batches_and_canvases(untrained_weights):
    recognizer = Recognizer.load(untrained_weights)
    assert recognizer.path == untrained_weights and recognizer.name == "simple"
    images = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    predictions = recognizer.classify_images(images)
    assert len(predictions) == 5
    for p in predictions:
        assert p.digit is not None and 0 <= p.digit <= 9 and len(p.probs) == 10
        assert sum(p.probs) == pytest.approx(1.0, abs=1e-5) and p.confidence == max(p.probs)
    canvas = np.zeros((300, 300), np.uint8)
    canvas[50:250, 140:160] = 255
    assert recognizer.classify_canvas(canvas).digit is not None
    assert recognizer.classify_canvas(np.zeros((300, 300), np.uint8)) == BLANK


def test_reading_a_canvas_is_the_transform_then_the_model_on_that_one_image(untrained_weights):
    """read() as before numbers: bitwise the framed ink and the model's output for it alone."""
    recognizer = Recognizer.load(untrained_weights)
    canvas = np.zeros((240, 320), np.uint8)
    canvas[40:200, 150:170] = 255
    canvas[40:60, 110:170] = 255
    image, prediction = recognizer.read(canvas)
    ink = find_ink(canvas)
    assert ink is not None
    expected = frame_ink(ink)
    np.testing.assert_array_equal(image, expected)
    probs = recognizer.probabilities(expected[None])[0]
    assert prediction.probs == tuple(float(p) for p in probs)
    assert prediction.digit == int(probs.argmax()) and prediction.confidence == float(probs.max())
    [(again, same)] = recognizer.read_inks([ink])
    np.testing.assert_array_equal(again, image)
    assert same == prediction


def test_the_model_names_are_one_list():
    assert tuple(MODELS) == MODEL_NAMES  # the torch-free names the command line offers


@pytest.mark.parametrize("name", list(MODELS))
def test_every_registered_model_round_trips(tmp_path, name):
    model = create_model(name).eval()
    metadata = WeightsMetadata(test_acc=0.5)
    path = save_weights(tmp_path / f"{name}.pt", WeightsInfo(name, {}, metadata), model)
    recognizer = Recognizer.load(path)
    assert recognizer.name == name and recognizer.metadata == metadata
    x = torch.rand(2, 1, 28, 28)
    with torch.inference_mode():
        expected = torch.softmax(model(x), 1).numpy()
    np.testing.assert_allclose(recognizer.probabilities(x[:, 0].numpy()), expected, atol=1e-6)


def test_missing_file(tmp_path):
    with pytest.raises(WeightsError, match="not found"):
        Recognizer.load(tmp_path / "nope.pt")


def test_foreign_torch_file(tmp_path):
    path = tmp_path / "foreign.pt"
    torch.save(create_model("simple").state_dict(), path)  # a bare state dict, no header
    with pytest.raises(WeightsError, match="not a digitnet weights file"):
        Recognizer.load(path)


def test_weights_of_another_architecture(tmp_path, untrained_weights):
    payload = torch.load(untrained_weights, weights_only=True)
    payload["model"] = "improved"
    torch.save(payload, tmp_path / "w.pt")
    with pytest.raises(WeightsError, match="do not match the 'improved' architecture"):
        Recognizer.load(tmp_path / "w.pt")


def test_newer_transform_is_refused(tmp_path):
    info = WeightsInfo("simple", {}, WeightsMetadata(transform_version=99))
    path = save_weights(tmp_path / "w.pt", info, create_model("simple"))
    assert load_weights(path)[1].metadata.transform_version == 99
    with pytest.raises(WeightsError, match="transform v99"):
        Recognizer.load(path)
