"""CVL Single Digit (ICDAR 2013 HDRC): digits written on paper and scanned, by 127 writers.

`cvl.npz` holds the competition's training (67 writers) and validation (60 writers) digits as
28x28 grey scans, dark ink on light paper (background about 246). They reach the network the
way `predict` reads a photo of paper: through the canvas transform with the polarity given
(`to_inputs`), so the paper's tone is subtracted and the digit framed as MNIST's are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitnet import DigitnetError
from digitnet.common.digits import IMAGE_SIZE
from digitnet.common.paths import DataSet, find_data
from digitnet.data.unipen import open_npz
from digitnet.reading.preprocess import to_mnist

CVL_DATA = DataSet("CVL", "cvl", "cvl.npz", "DIGITNET_CVL")
SPLITS = ("train", "valid")


class CvlError(DigitnetError):
    pass


@dataclass(frozen=True, eq=False)
class Scans:
    """Scanned digits: uint8 [N, 28, 28] dark ink on light paper, as stored."""

    images: np.ndarray
    labels: np.ndarray  # int64
    writers: np.ndarray  # int64
    split: np.ndarray  # str: 'train' or 'valid'

    def where(self, keep: np.ndarray) -> Scans:
        return Scans(self.images[keep], self.labels[keep], self.writers[keep], self.split[keep])


def load_cvl(path: str | os.PathLike | None = None,
             data_dir: str | os.PathLike | None = None) -> Scans:
    """Every digit of cvl.npz (default: where digitnet.common.paths.find_data finds it), checked."""
    path = Path(find_data(CVL_DATA, path, data_dir))
    arrays = open_npz(path, CVL_DATA, CvlError, ("images", "label", "writer", "split"))
    images, labels = arrays["images"], arrays["label"]
    if images.dtype != np.uint8 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise CvlError(f"{path}: images should be uint8 28x28, found {images.dtype} "
                       f"{images.shape}")
    if any(len(arrays[key]) != len(images) for key in ("label", "writer", "split")):
        raise CvlError(f"{path}: label, writer and split should have one entry per image")
    if not np.isin(labels, np.arange(10)).all() or not np.isin(arrays["split"], SPLITS).all():
        raise CvlError(f"{path}: labels should be 0-9 and splits {' or '.join(SPLITS)}")
    return Scans(images, labels.astype(np.int64), arrays["writer"].astype(np.int64),
                 arrays["split"].astype(str))


def to_inputs(scans: np.ndarray) -> np.ndarray:
    """Scans of dark ink on paper -> the network's inputs, uint8 [N, 28, 28]: each through the
    canvas transform (a blank scan stays black)."""
    out = np.zeros(scans.shape, np.uint8)
    for i, scan in enumerate(scans):
        image = to_mnist(scan, invert=True)
        if image is not None:
            out[i] = np.round(image * 255)
    return out
