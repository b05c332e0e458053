"""Default locations: the one place that says where digitnet reads and writes.

Shipped weights sit in `weights/` beside the package in a checkout (and an editable install),
and inside the package as `digitnet/_weights` in an installed wheel (pyproject.toml puts them
there). Per-user folders come from platformdirs, which knows each OS's conventions.

Data sets are found by one rule (`find_data`), the same for the command line, the benchmarks
and the tests: a path given on the command line, else the data set's own environment
variable; else the first place that holds it of: beside the MNIST folder (--data-dir or
$DIGITNET_DATA; the data sets sit side by side, as in `../shared/data`), the per-user cache,
and `../shared/data` beside a checkout. MNIST itself is --data-dir, else $DIGITNET_DATA,
else the per-user cache or the checkout's shared folder, whichever holds it, else it is
downloaded into the per-user cache.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "digitnet"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # digitnet/, above common/
INSTALLED_WEIGHTS_DIR = PACKAGE_DIR / "_weights"  # a wheel's copy of weights/
CHECKOUT_WEIGHTS_DIR = PACKAGE_DIR.parent / "weights"
# The project's shared data sets beside a checkout (../shared/data), found only in a checkout.
CHECKOUT_DATA_DIR = PACKAGE_DIR.parent.parent / "shared" / "data"
DATA_ENV_VAR = "DIGITNET_DATA"
SAMPLES_ENV_VAR = "DIGITNET_SAMPLES"


def shipped_weights_dir() -> Path:
    """The folder of shipped weights: the installed package's copy, else the checkout's."""
    return INSTALLED_WEIGHTS_DIR if INSTALLED_WEIGHTS_DIR.is_dir() else CHECKOUT_WEIGHTS_DIR


def weights_path(model_name: str) -> Path:
    """The shipped weights file of a registered model."""
    return shipped_weights_dir() / f"{model_name}.pt"


def user_data_dir() -> Path:
    """Per-user data folder: samples and fine-tuned weights (~/.local/share/digitnet on Linux)."""
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def user_cache_dir() -> Path:
    """Per-user cache: what can be fetched again, such as MNIST (~/.cache/digitnet on Linux)."""
    return platformdirs.user_cache_path(APP_NAME, appauthor=False)


def default_mnist_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """--data-dir, else $DIGITNET_DATA, else the per-user cache: where MNIST is downloaded to."""
    return _first_of(data_dir, DATA_ENV_VAR, user_cache_dir() / "mnist")


def find_mnist_dir(data_dir: str | os.PathLike[str] | None = None,
                   holds: str = "train-images-idx3-ubyte.gz") -> Path:
    """The MNIST folder to read: --data-dir, else $DIGITNET_DATA, else the per-user cache or the
    checkout's shared folder if it `holds` that file (gzipped or not), else the per-user cache."""
    if data_dir or os.environ.get(DATA_ENV_VAR):
        return default_mnist_dir(data_dir)
    for root in (user_cache_dir(), checkout_data_dir()):
        folder = root / "mnist" if root else None
        if folder and any((folder / name).exists() for name in (holds, holds.removesuffix(".gz"))):
            return folder
    return default_mnist_dir()


@dataclass(frozen=True)
class DataSet:
    """A data set's file: FOLDER/FILE under a data root, or wherever ENV_VAR says."""

    name: str  # as messages name it
    folder: str
    file: str
    env_var: str

    def not_found(self, path: Path) -> str:
        """One line that says what to put where."""
        return (f"{path}: {self.name} not found: put {self.file} there, or set ${self.env_var} "
                "to its path")


def checkout_data_dir() -> Path | None:
    """../shared/data beside a checkout (pyproject.toml beside the package), else None."""
    in_checkout = (PACKAGE_DIR.parent / "pyproject.toml").is_file()
    return CHECKOUT_DATA_DIR if in_checkout and CHECKOUT_DATA_DIR.is_dir() else None


def _data_roots(data_dir: str | os.PathLike[str] | None) -> Iterator[Path]:
    """Folders that may hold data sets side by side, in the order they are searched."""
    for mnist in (data_dir, os.environ.get(DATA_ENV_VAR)):
        if mnist:
            yield Path(mnist).parent
    yield user_cache_dir()
    shared = checkout_data_dir()
    if shared:
        yield shared


def find_data(data: DataSet, path: str | os.PathLike[str] | None = None,
              data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where `data`'s file is: `path`, else $ENV_VAR, else the first data root that holds it
    (see the module's docstring); the per-user cache's place for it if none does."""
    if path:
        return Path(path)
    if os.environ.get(data.env_var):
        return Path(os.environ[data.env_var])
    places = [root / data.folder / data.file for root in _data_roots(data_dir)]
    return next((p for p in places if p.is_file()), user_cache_dir() / data.folder / data.file)


def default_samples_dir(samples_dir: str | os.PathLike[str] | None = None) -> Path:
    """--samples, else $DIGITNET_SAMPLES, else the per-user data folder."""
    return _first_of(samples_dir, SAMPLES_ENV_VAR, user_data_dir() / "samples")


def _first_of(given: str | os.PathLike[str] | None, env_var: str, fallback: Path) -> Path:
    if given:
        return Path(given)
    if os.environ.get(env_var):
        return Path(os.environ[env_var])
    return fallback
