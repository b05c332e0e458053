"""A trained weights file, loaded: 28x28 images in, the model's probabilities out.

The one way into a model for every reader: the reading steps (digitnet.reading) frame the ink,
set specks aside and turn probabilities into answers; evaluation asks for MNIST's images
directly. Besides the network, the classifier holds what its weights file says of it: its name
and the reject threshold (digitnet.reading.reject), unless `reject=False` asks for the forced
choice.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from digitnet import DigitnetError
from digitnet.common.digits import IMAGE_SIZE, TRANSFORM_VERSION
from digitnet.model.registry import default_weights
from digitnet.model.weights import WeightsError, WeightsInfo, WeightsMetadata, load_weights


class ClassifierError(DigitnetError):
    pass


class Classifier:
    """A loaded model and what its weights file says of it. `reject`: whether readers set
    specks and doubtful answers aside (weights without a threshold reject specks only)."""

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
             threads: int | None = 1, reject: bool = True) -> Classifier:
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
            raise ClassifierError(f"expected [N, {IMAGE_SIZE}, {IMAGE_SIZE}] images, "
                                  f"got shape {images.shape}")
        if not np.isfinite(images).all():
            raise ClassifierError("the images hold NaN or infinite pixels")
        logits = self.model(torch.from_numpy(images).unsqueeze(1))
        probs = torch.softmax(logits.float(), dim=1).numpy()
        if not np.isfinite(probs).all():  # loading refuses non-finite weights: a last guard
            raise ClassifierError(f"{self.path or self.name}: the model's output is not finite "
                                  "(damaged weights?)")
        return probs
