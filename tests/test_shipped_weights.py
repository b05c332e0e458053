"""The weights in weights/ are what the README promises: they load, and they still score their targets."""

import pytest

from digitnet.data import MNIST_FILES, load_mnist
from digitnet.evaluate import predict_probabilities
from digitnet.models import MODELS
from digitnet.paths import weights_path
from digitnet.recognizer import Recognizer
from digitnet.train import VALIDATION_SIZE, split_train_val

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

    def accuracy(images, labels) -> float:
        return float((predict_probabilities(recognizer, images).argmax(1) == labels).mean())

    test_acc = accuracy(*load_mnist("test", mnist_dir))
    assert test_acc >= TARGETS[name]
    assert test_acc == pytest.approx(metadata["test_acc"], abs=1e-4)
    # the validation images the run held out (its seed picks them) still score what the metadata says
    seed = metadata["train_args"]["seed"]
    _, (val_x, val_y) = split_train_val(*load_mnist("train", mnist_dir), VALIDATION_SIZE, seed)
    assert accuracy(val_x, val_y) == pytest.approx(metadata["val_acc"], abs=1e-4)
