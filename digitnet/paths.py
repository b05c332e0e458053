"""Default locations: the one place that says where digitnet reads and writes.

Shipped weights sit in `weights/` beside the package in a checkout (and an editable install),
and inside the package as `digitnet/_weights` in an installed wheel (pyproject.toml puts them
there). Per-user folders come from platformdirs, which knows each OS's conventions.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "digitnet"
PACKAGE_DIR = Path(__file__).resolve().parent
INSTALLED_WEIGHTS_DIR = PACKAGE_DIR / "_weights"  # a wheel's copy of weights/
CHECKOUT_WEIGHTS_DIR = PACKAGE_DIR.parent / "weights"
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
    """--data-dir, else $DIGITNET_DATA, else the per-user cache."""
    return _first_of(data_dir, DATA_ENV_VAR, user_cache_dir() / "mnist")


def default_samples_dir(samples_dir: str | os.PathLike[str] | None = None) -> Path:
    """--samples, else $DIGITNET_SAMPLES, else the per-user data folder."""
    return _first_of(samples_dir, SAMPLES_ENV_VAR, user_data_dir() / "samples")


def _first_of(given: str | os.PathLike[str] | None, env_var: str, fallback: Path) -> Path:
    if given:
        return Path(given)
    if os.environ.get(env_var):
        return Path(os.environ[env_var])
    return fallback
