"""Default locations: the one place that says where digitnet reads and writes."""

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
WEIGHTS_DIR = PACKAGE_ROOT / "weights"
DATA_ENV_VAR = "DIGITNET_DATA"
SAMPLES_ENV_VAR = "DIGITNET_SAMPLES"


def weights_path(model_name: str) -> Path:
    """The shipped weights file of a registered model."""
    return WEIGHTS_DIR / f"{model_name}.pt"


def user_data_dir() -> Path:
    """Per-user data folder (XDG on Linux, the usual places elsewhere)."""
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif os.uname().sysname == "Darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "digitnet"


def user_cache_dir() -> Path:
    if os.name == "nt" or os.uname().sysname == "Darwin":
        return user_data_dir() / "cache"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "digitnet"


def default_mnist_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """--data-dir, else $DIGITNET_DATA, else the per-user cache."""
    if data_dir:
        return Path(data_dir)
    if os.environ.get(DATA_ENV_VAR):
        return Path(os.environ[DATA_ENV_VAR])
    return user_cache_dir() / "mnist"


def default_samples_dir(samples_dir: str | os.PathLike | None = None) -> Path:
    if samples_dir:
        return Path(samples_dir)
    if os.environ.get(SAMPLES_ENV_VAR):
        return Path(os.environ[SAMPLES_ENV_VAR])
    return user_data_dir() / "samples"
