import numpy as np
import pytest
import torch

from digitnet.models import MODELS, create_model
from digitnet.recognizer import BLANK, Recognizer
from digitnet.weights import WeightsError, save_weights


def test_classifies_batches_and_canvases(untrained_weights):
    recognizer = Recognizer.load(untrained_weights)
    images = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    predictions = recognizer.classify_images(images)
    assert len(predictions) == 5
    for p in predictions:
        assert 0 <= p.digit <= 9 and len(p.probs) == 10
        assert sum(p.probs) == pytest.approx(1.0, abs=1e-5) and p.confidence == max(p.probs)
    canvas = np.zeros((300, 300), np.uint8)
    canvas[50:250, 140:160] = 255
    assert recognizer.classify_canvas(canvas).digit is not None
    assert recognizer.classify_canvas(np.zeros((300, 300), np.uint8)) == BLANK


@pytest.mark.parametrize("name", list(MODELS))
def test_every_registered_model_round_trips(tmp_path, name):
    model = create_model(name).eval()
    path = save_weights(tmp_path / f"{name}.pt", name, {}, model, {"test_acc": 0.5})
    recognizer = Recognizer.load(path)
    assert recognizer.name == name and recognizer.meta["metadata"]["test_acc"] == 0.5
    x = torch.rand(2, 1, 28, 28)
    with torch.inference_mode():
        expected = torch.softmax(model(x), 1).numpy()
    np.testing.assert_allclose(recognizer.probabilities(x[:, 0].numpy()), expected, atol=1e-6)


def test_missing_file(tmp_path):
    with pytest.raises(WeightsError, match="not found"):
        Recognizer.load(tmp_path / "nope.pt")


def test_garbage_file(tmp_path):
    path = tmp_path / "garbage.pt"
    path.write_bytes(b"\x00not a torch file" * 100)
    with pytest.raises(WeightsError, match="not a readable weights file"):
        Recognizer.load(path)


def test_foreign_torch_file(tmp_path):
    path = tmp_path / "foreign.pt"
    torch.save(create_model("simple").state_dict(), path)  # a bare state dict, no header
    with pytest.raises(WeightsError, match="not a digitnet weights file"):
        Recognizer.load(path)


def test_pickled_code_is_refused(tmp_path):
    path = tmp_path / "pickle.pt"
    torch.save({"format": "digitnet-weights", "payload": object()}, path)
    with pytest.raises(WeightsError, match="not a readable weights file"):
        Recognizer.load(path)


def test_weights_of_another_architecture(tmp_path):
    path = save_weights(tmp_path / "w.pt", "simple", {}, create_model("simple"), {})
    payload = torch.load(path, weights_only=True)
    payload["model"] = "improved"
    torch.save(payload, path)
    with pytest.raises(WeightsError, match="do not match the 'improved' architecture"):
        Recognizer.load(path)


def test_unknown_model_and_bad_config(tmp_path):
    path = save_weights(tmp_path / "w.pt", "simple", {}, create_model("simple"), {})
    payload = torch.load(path, weights_only=True)
    torch.save({**payload, "model": "resnet9000"}, path)
    with pytest.raises(WeightsError, match="unknown model 'resnet9000'"):
        Recognizer.load(path)
    torch.save({**payload, "config": {"colour": "blue"}}, path)
    with pytest.raises(WeightsError, match="config does not fit"):
        Recognizer.load(path)


def test_newer_transform_is_refused(tmp_path):
    path = save_weights(tmp_path / "w.pt", "simple", {}, create_model("simple"), {"transform_version": 99})
    with pytest.raises(WeightsError, match="transform v99"):
        Recognizer.load(path)
