"""The weights in weights/ are what the README promises: they load, score their figures, say
what they learnt from (never a benchmark fold's writers), and carry the reject threshold they
were calibrated with."""

import numpy as np
import pytest

from digitnet.common.paths import weights_path
from digitnet.data.mnist import MNIST_FILES, load_mnist, validation_split
from digitnet.data.pendigits import PENDIGITS_SOURCE, TRAINING_WRITERS
from digitnet.data.sources import SOURCES, load_fold, seen_groups
from digitnet.model.classifier import Classifier
from digitnet.model.registry import MODEL_NAMES
from digitnet.train.evaluate import predict_probabilities

# MNIST test accuracy the README promises. `improved` misses the handwriting issue's 99.7 %:
# learning real writers' 1s and 7s cost it 0.19 points; `simple`, retrained on 500 writers'
# digits (docs/writers.md), 99.46 % against 99.50 % before (docs/history.md).
PROMISED = {"simple": 0.994, "improved": 0.995}


def test_every_registered_model_has_a_promise():
    assert set(PROMISED) == set(MODEL_NAMES)


@pytest.fixture(scope="module", params=sorted(MODEL_NAMES))
def shipped(request) -> Classifier:
    classifier = Classifier.load(weights_path(request.param), threads=None)
    assert classifier.name == request.param
    return classifier


def accuracy(classifier: Classifier, images: np.ndarray, labels: np.ndarray) -> float:
    return float((predict_probabilities(classifier, images).argmax(1) == labels).mean())


@pytest.fixture(scope="module")
def validation(shipped, mnist_dir) -> tuple[np.ndarray, np.ndarray]:
    """The shipped model's probabilities on the validation images its run held out (its seed
    picks them), and their labels: read once for the tests below."""
    images, labels = load_mnist("train", mnist_dir)
    _, held_out = validation_split(len(images), shipped.metadata.validation_seed)
    return predict_probabilities(shipped, images[held_out]), labels[held_out]


def test_shipped_weights_score_their_promise_and_their_metadata(shipped, mnist_dir, validation):
    metadata = shipped.metadata
    test_acc = accuracy(shipped, *load_mnist("test", mnist_dir))
    assert test_acc >= PROMISED[shipped.name]
    assert test_acc == pytest.approx(metadata.test_acc, abs=1e-4)
    # the validation images the run held out (its seed picks them) score what the metadata says
    assert metadata.validation_seed is not None
    probabilities, labels = validation
    assert float((probabilities.argmax(1) == labels).mean()) == pytest.approx(metadata.val_acc,
                                                                            abs=1e-4)


def test_shipped_weights_learnt_real_writers_and_non_digits_but_no_benchmark_or_tuning_writer(
        shipped):
    """Every source learnt is a registered one ('unipen-digits/apa' names a collection), and
    no benchmark fold's writer, collection or category was learnt (nor, once they learn UNIPEN,
    a tuning fold's: then the tuning folds choose for them)."""
    learned = shipped.metadata.learned_from
    names = {source.name.partition("/")[0] for source in learned}
    assert names <= set(SOURCES) and {"mnist", PENDIGITS_SOURCE, "omniglot"} <= names
    assert next(s for s in learned if s.name == "mnist").files == MNIST_FILES
    pen = next(s for s in learned if s.name == PENDIGITS_SOURCE)
    assert set(pen.writers) <= set(TRAINING_WRITERS) and pen.images > 0
    folds = ("benchmark", "tune") if "unipen-digits" in names else ("benchmark",)
    for source in ("pendigits", "unipen-digits", "cvl"):
        for fold in folds:
            assert not seen_groups(learned, load_fold(source, fold)), (source, fold)
    assert all(s.images > 0 for s in learned)


def test_the_reject_threshold_keeps_what_it_was_calibrated_to_keep(shipped, validation):
    """The threshold keeps --reject-keep of the validation digits, and no more is lost."""
    metadata = shipped.metadata
    assert metadata.reject_threshold is not None and metadata.training is not None
    probabilities, labels = validation
    held_out = len(labels)
    kept = float((probabilities.max(1) >= metadata.reject_threshold).mean())
    # the threshold keeps at least that share of every set it was calibrated on, MNIST's too
    assert kept >= metadata.training.reject_keep - 1 / held_out
    if not {"unipen-digits", "cvl"} & {s.name.partition("/")[0] for s in metadata.learned_from}:
        assert kept == pytest.approx(metadata.training.reject_keep, abs=2 / held_out)
