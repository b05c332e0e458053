"""The weights in weights/ are what the README promises: they load, and they still score their targets."""

import pytest

from digitnet.data import MNIST_FILES, load_mnist
from digitnet.evaluate import predict_probabilities
from digitnet.models import MODELS
from digitnet.paths import weights_path
from digitnet.recognizer import Recognizer

# the training issue's MNIST test-accuracy targets
TARGETS = {"simple": 0.995, "improved": 0.997}


def test_every_registered_model_has_a_target():
    assert set(TARGETS) == set(MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_shipped_weights_meet_their_target_and_their_metadata(name, mnist_dir):
    recognizer = Recognizer.load(weights_path(name), threads=None)
    metadata = recognizer.meta["metadata"]
    assert recognizer.name == name
    assert metadata["mnist_md5"] == dict(MNIST_FILES)

    images, labels = load_mnist("test", mnist_dir)
    accuracy = float((predict_probabilities(recognizer, images).argmax(1) == labels).mean())
    assert accuracy >= TARGETS[name]
    assert accuracy == pytest.approx(metadata["test_acc"], abs=1e-4)
    assert metadata["val_acc"] == max(h["val_acc"] for h in metadata["history"])
