"""Not a digit: specks never reach the model, the threshold in the weights file decides the rest,
reject=False gives the forced choice, and weights without a threshold still load."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import OLD_FINETUNED, with_reject_threshold
from shapes import TALL_SEVEN

from digitnet.common.prediction import BLANK, Prediction
from digitnet.common.sketch import render_strokes
from digitnet.data.mnist import load_mnist
from digitnet.data.scribbles import TRAINING_SCRIBBLES, generate_non_digits
from digitnet.data.strokes import TRAINING_STYLE, lay_out
from digitnet.model.classifier import Classifier
from digitnet.model.weights import WeightsInfo, load_weights
from digitnet.reading.preprocess import find_ink
from digitnet.reading.read import read_digit
from digitnet.reading.reject import SPECK_MAX, calibrate, is_speck, rejected, to_prediction
from digitnet.train.trainer import digits_and_outliers_loss


def with_threshold_info(info: WeightsInfo, threshold: float | None) -> WeightsInfo:
    metadata = dataclasses.replace(info.metadata, reject_threshold=threshold)
    return dataclasses.replace(info, metadata=metadata)


def dot(size: tuple[int, int] = (400, 300), brush: float = 0.05) -> np.ndarray:
    return render_strokes([np.array([[0.3, 0.6]])], size, brush)


def answers(classifier: Classifier, images: np.ndarray) -> list[Prediction]:
    """28x28 images, already framed, through the model and the reject rule: no speck test."""
    return [to_prediction(p, classifier.threshold) for p in classifier.probabilities(images)]


def mnist_canvas(image: np.ndarray, scale: int = 10) -> np.ndarray:
    """An MNIST digit as a large canvas, the way the app would hold it."""
    return np.kron(image, np.ones((scale, scale), np.uint8))


@pytest.fixture(scope="module")
def rejecting(shipped_weights, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("w")
    return with_reject_threshold(shipped_weights, 0.5, folder / "rejecting.pt")


def test_dots_and_ticks_are_specks_and_digit_sized_drawings_are_not():
    made = generate_non_digits(180, seed=3, style=TRAINING_SCRIBBLES)
    for drawing in made:
        ink = find_ink(drawing.sketch.render(), invert=False)
        assert ink is not None
        assert is_speck(ink) == (drawing.kind in ("dot", "tick")), drawing.kind
    rng = np.random.default_rng(0)
    for _ in range(30):  # a seven drawn anywhere from 30 to 90 % of the canvas, any brush
        ink = find_ink(lay_out(TALL_SEVEN, rng, TRAINING_STYLE).render(), invert=False)
        assert ink is not None and not is_speck(ink)


def test_a_speck_is_measured_against_the_canvas_not_the_brush():
    # a dot with the thickest brush is still a dot; a stroke just longer than SPECK_MAX is not
    assert is_speck(find_ink(dot(brush=0.16), invert=False))
    long = SPECK_MAX + 0.03
    line = render_strokes([np.array([[0.5, 0.5], [0.5, 0.5 + long]])], (300, 300), 0.02)
    assert not is_speck(find_ink(line, invert=False))


def test_a_speck_is_rejected_without_asking_the_model(rejecting):
    classifier = Classifier.load(rejecting)
    part = read_digit(classifier, dot()).single
    assert part is not None and part.image.any()  # the magnified speck, for the app to show
    prediction = part.prediction
    assert prediction.rejected and prediction.digit is None and not any(prediction.probs)


def test_a_blank_canvas_is_blank_not_rejected(rejecting):
    classifier = Classifier.load(rejecting)
    assert read_digit(classifier, np.zeros((300, 400), np.uint8)).prediction == BLANK
    assert not BLANK.rejected


def test_a_confident_digit_is_kept_and_a_doubtful_one_rejected(rejecting, mnist_dir):
    images, labels = load_mnist("test", mnist_dir)
    classifier = Classifier.load(rejecting)
    prediction = read_digit(classifier, mnist_canvas(images[0])).prediction
    assert prediction.digit == labels[0] and prediction.confidence > 0.5
    assert not prediction.rejected
    # the same threshold rejects exactly the images whose top probability is below it
    batch = images[:300] / 255.0
    probs = classifier.probabilities(batch)
    got = [p.rejected for p in answers(classifier, batch)]
    assert got == (probs.max(1) < 0.5).tolist()
    doubtful = np.full((1, 28, 28), 0.5, np.float32)  # a grey square: no digit at all
    raw = classifier.probabilities(doubtful)[0]
    assert raw.max() < 1
    strict = Classifier(classifier.model, with_threshold_info(classifier.info, 1.0))
    (prediction,) = answers(strict, doubtful)
    assert prediction.rejected and prediction.digit == int(raw.argmax())
    assert prediction.probs == pytest.approx(tuple(raw))  # the raw output stays


def test_no_reject_gives_the_forced_choice(rejecting):
    forced = Classifier.load(rejecting, reject=False)
    assert forced.threshold is None
    prediction = read_digit(forced, dot()).prediction
    assert not prediction.rejected and prediction.digit is not None
    assert prediction.confidence == max(prediction.probs) > 0


def test_the_threshold_round_trips_through_the_weights_file(shipped_weights, tmp_path):
    path = with_reject_threshold(shipped_weights, 0.4375, tmp_path / "t.pt")
    _, info = load_weights(path)
    assert info.metadata.reject_threshold == 0.4375
    assert Classifier.load(path).threshold == 0.4375


def test_weights_without_a_threshold_load_and_reject_only_specks(mnist_dir):
    classifier = Classifier.load(OLD_FINETUNED)
    assert classifier.metadata.reject_threshold is None and classifier.threshold is None
    images, _ = load_mnist("test", mnist_dir)
    assert not any(p.rejected for p in answers(classifier, images[:100] / 255.0))
    assert read_digit(classifier, dot()).prediction.rejected


def test_calibrate_keeps_at_least_the_share_asked_for():
    scores = np.random.default_rng(0).uniform(size=1000)
    for keep in (0.5, 0.9, 0.99, 0.997, 1.0):
        threshold = calibrate(scores, keep)
        assert (scores >= threshold).mean() >= keep
        assert (scores > threshold).mean() < keep  # and no higher threshold would
    assert not rejected(np.eye(10)[:3], None).any()
    with pytest.raises(ValueError):
        calibrate(np.array([]), 0.9)


def test_outlier_loss_is_cross_entropy_on_digits_and_pulls_negatives_to_uniform():
    logits = torch.randn(6, 10, requires_grad=True)
    digits = torch.tensor([3, 1, 4, 1, 5, 9])
    assert digits_and_outliers_loss(logits, digits, 0.5).item() == pytest.approx(
        F.cross_entropy(logits, digits).item(), rel=1e-6)
    negatives = torch.full((6,), -1)
    uniform = torch.zeros(6, 10, requires_grad=True)
    loss = digits_and_outliers_loss(uniform, negatives, 0.5)
    assert loss.item() == pytest.approx(0.5 * np.log(10))  # its least value: uniform outputs
    loss.backward()
    assert uniform.grad is not None and uniform.grad.abs().max() < 1e-7
    peaked = digits_and_outliers_loss(torch.eye(10)[:6] * 5, negatives, 0.5)
    assert peaked > loss
