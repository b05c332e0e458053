"""The classifier: a weights file, loaded and checked; 28x28 images in, probabilities out."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from digitnet.model.classifier import Classifier
from digitnet.model.networks import MODELS, create_model
from digitnet.model.registry import MODEL_NAMES
from digitnet.model.weights import (
    WeightsError,
    WeightsInfo,
    WeightsMetadata,
    load_weights,
    save_weights,
)
from digitnet.reading.reject import to_prediction


def test_classifies_batches(untrained_weights):
    classifier = Classifier.load(untrained_weights)
    assert classifier.path == untrained_weights and classifier.name == "simple"
    images = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    predictions = [to_prediction(p, classifier.threshold) for p in classifier.probabilities(images)]
    assert len(predictions) == 5
    for p in predictions:
        assert p.digit is not None and 0 <= p.digit <= 9 and len(p.probs) == 10
        assert sum(p.probs) == pytest.approx(1.0, abs=1e-5) and p.confidence == max(p.probs)


def test_the_model_names_are_one_list():
    assert tuple(MODELS) == MODEL_NAMES  # the torch-free names the command line offers


@pytest.mark.parametrize("name", list(MODELS))
def test_every_registered_model_round_trips(tmp_path, name):
    model = create_model(name).eval()
    metadata = WeightsMetadata(test_acc=0.5)
    path = save_weights(tmp_path / f"{name}.pt", WeightsInfo(name, {}, metadata), model)
    classifier = Classifier.load(path)
    assert classifier.name == name and classifier.metadata == metadata
    x = torch.rand(2, 1, 28, 28)
    with torch.inference_mode():
        expected = torch.softmax(model(x), 1).numpy()
    np.testing.assert_allclose(classifier.probabilities(x[:, 0].numpy()), expected, atol=1e-6)


def test_missing_file(tmp_path):
    with pytest.raises(WeightsError, match="not found"):
        Classifier.load(tmp_path / "nope.pt")


def test_foreign_torch_file(tmp_path):
    path = tmp_path / "foreign.pt"
    torch.save(create_model("simple").state_dict(), path)  # a bare state dict, no header
    with pytest.raises(WeightsError, match="not a digitnet weights file"):
        Classifier.load(path)


def test_weights_of_another_architecture(tmp_path, untrained_weights):
    payload = torch.load(untrained_weights, weights_only=True)
    payload["model"] = "improved"
    torch.save(payload, tmp_path / "w.pt")
    with pytest.raises(WeightsError, match="do not match the 'improved' architecture"):
        Classifier.load(tmp_path / "w.pt")


def test_newer_transform_is_refused(tmp_path):
    info = WeightsInfo("simple", {}, WeightsMetadata(transform_version=99))
    path = save_weights(tmp_path / "w.pt", info, create_model("simple"))
    assert load_weights(path)[1].metadata.transform_version == 99
    with pytest.raises(WeightsError, match="transform v99"):
        Classifier.load(path)
