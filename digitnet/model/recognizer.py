"""Classify 28x28 images or whole canvases with a trained weights file, and say what is not a digit.

A drawing is rejected (not a digit) if it is a speck, or if the model's top probability is below
the threshold its weights file stores (digitnet.reading.reject); `reject=False` gives the forced
choice.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from digitnet import DigitnetError
from digitnet.common.digits import IMAGE_SIZE
from digitnet.common.prediction import BLANK, SPECK, Prediction
from digitnet.model.registry import default_weights
from digitnet.model.weights import WeightsError, WeightsInfo, WeightsMetadata, load_weights
from digitnet.reading.preprocess import TRANSFORM_VERSION, Ink, find_ink, frame_ink
from digitnet.reading.reject import is_speck, rejected


class RecognizerError(DigitnetError):
    pass


class Recognizer:
    """A loaded model plus the canvas transform it was trained for, and its reject rule (off
    with reject=False; weights without a threshold reject specks only)."""

    def __init__(self, model: torch.nn.Module, info: WeightsInfo, path: Path | None = None,
                 threads: int | None = 1, reject: bool = True):
        self.model = model.eval()
        self.info = info
        self.path = path  # the weights file, if the model came from one
        self.reject = reject
        self.threshold = info.metadata.reject_threshold if reject else None
        if threads:
            # one thread is fastest for one tiny image and leaves the other core to the UI
            torch.set_num_threads(threads)
        self._warm_up()

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None,
             threads: int | None = 1, reject: bool = True) -> Recognizer:
        path = Path(path) if path else default_weights()
        model, info = load_weights(path)
        version = info.metadata.transform_version
        if version > TRANSFORM_VERSION:
            raise WeightsError(f"{path}: made for canvas transform v{version}, "
                               f"this digitnet has v{TRANSFORM_VERSION}")
        return cls(model, info, path, threads, reject)

    @property
    def name(self) -> str:
        return self.info.model

    @property
    def metadata(self) -> WeightsMetadata:
        return self.info.metadata

    def _warm_up(self) -> None:
        """Run the first, slow forward passes now, so the first real call is as fast as later."""
        blank = np.zeros((1, IMAGE_SIZE, IMAGE_SIZE), np.float32)
        for _ in range(3):
            self.probabilities(blank)

    @torch.inference_mode()
    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """[N, 28, 28] finite float images in [0, 1] (MNIST convention) -> [N, 10] probabilities."""
        images = np.asarray(images, np.float32)
        if images.ndim == 2:
            images = images[None]
        if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise RecognizerError(f"expected [N, {IMAGE_SIZE}, {IMAGE_SIZE}] images, "
                                  f"got shape {images.shape}")
        if not np.isfinite(images).all():
            raise RecognizerError("the images hold NaN or infinite pixels")
        logits = self.model(torch.from_numpy(images).unsqueeze(1))
        probs = torch.softmax(logits.float(), dim=1).numpy()
        if not np.isfinite(probs).all():  # loading refuses non-finite weights: a last guard
            raise RecognizerError(f"{self.path or self.name}: the model's output is not finite "
                                  "(damaged weights?)")
        return probs

    def classify_images(self, images: np.ndarray) -> list[Prediction]:
        """28x28 images (see `probabilities`), already normalised: no speck test."""
        return [self._prediction(p) for p in self.probabilities(images)]

    def read(self, canvas: np.ndarray,
             invert: bool | None = None) -> tuple[np.ndarray | None, Prediction]:
        """A whole drawing in any size or polarity -> (the network's input, None if blank; the
        prediction), through the transform training tools use."""
        ink = find_ink(canvas, invert=invert)
        return (None, BLANK) if ink is None else self.read_inks([ink])[0]

    def read_inks(self, inks: Sequence[Ink]) -> list[tuple[np.ndarray, Prediction]]:
        """The parts of a drawing (one ink per digit) -> (the network's input, the prediction)
        for each, in order: the transform each, the speck rule each, and one forward pass for
        all the rest (a number costs about what one digit does)."""
        images = [frame_ink(ink) for ink in inks]
        predictions = [SPECK] * len(inks)
        asked = [i for i, ink in enumerate(inks) if not (self.reject and is_speck(ink))]
        if asked:
            probs = self.probabilities(np.stack([images[i] for i in asked]))
            for i, row in zip(asked, probs, strict=True):
                predictions[i] = self._prediction(row)
        return list(zip(images, predictions, strict=True))

    def classify_canvas(self, canvas: np.ndarray, invert: bool | None = None) -> Prediction:
        """A whole drawing in any size or polarity (see `read`)."""
        return self.read(canvas, invert)[1]

    def _prediction(self, probs: np.ndarray) -> Prediction:
        digit = int(probs.argmax())
        return Prediction(digit, float(probs[digit]), tuple(float(p) for p in probs),
                          bool(rejected(probs, self.threshold)))
