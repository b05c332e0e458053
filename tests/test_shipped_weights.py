"""The weights in weights/ are what the README promises: they load and still score their targets."""

import pytest

from digitnet.config import MODEL_NAMES
from digitnet.data import MNIST_FILES, load_mnist, validation_split
from digitnet.evaluate import predict_probabilities
from digitnet.paths import weights_path
from digitnet.recognizer import Recognizer

# the training issue's MNIST test-accuracy targets
TARGETS = {"simple": 0.995, "improved": 0.997}


def test_every_registered_model_has_a_target():
    assert set(TARGETS) == set(MODEL_NAMES)


@pytest.mark.parametrize("name", sorted(MODEL_NAMES))
def test_shipped_weights_meet_their_target_and_their_metadata(name, mnist_dir):
    recognizer = Recognizer.load(weights_path(name), threads=None)
    metadata = recognizer.metadata
    assert recognizer.name == name
    sources = [(source.name, source.files) for source in metadata.learned_from]
    assert sources == [("mnist", MNIST_FILES)]

    def accuracy(images, labels) -> float:
        return float((predict_probabilities(recognizer, images).argmax(1) == labels).mean())

    test_acc = accuracy(*load_mnist("test", mnist_dir))
    assert test_acc >= TARGETS[name]
    assert test_acc == pytest.approx(metadata.test_acc, abs=1e-4)
    # the validation images the run held out (its seed picks them) score what the metadata says
    assert metadata.validation_seed is not None
    images, labels = load_mnist("train", mnist_dir)
    _, held_out = validation_split(len(images), metadata.validation_seed)
    assert accuracy(images[held_out], labels[held_out]) == pytest.approx(metadata.val_acc, abs=1e-4)
