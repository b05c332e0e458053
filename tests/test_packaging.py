"""The package as pip installs it: a wheel that carries the shipped weights and finds them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import REPO_ROOT

from digitnet import __version__
from digitnet.common import paths


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout built into a wheel and installed (without its dependencies) into a folder."""
    folder = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "-q"]
    build = subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation",
                            "-w", str(folder / "dist"), str(REPO_ROOT)],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    (wheel,) = (folder / "dist").glob("digitnet-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(f"digitnet-{__version__}.dist-info/entry_points.txt").decode()
    assert {"digitnet/_weights/simple.pt", "digitnet/_weights/improved.pt"} <= names
    assert "digitnet = digitnet.cli.main:main" in entry_points
    assert not any(name.startswith(("tests/", "bench/")) for name in names)
    target = folder / "site"
    install = subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    return target


def test_an_installed_package_predicts_with_its_own_weights(installed: Path,
                                                            tmp_path: Path) -> None:
    """From a folder outside the checkout, with the wheel's copy first on the path."""
    canvas = np.zeros((200, 200), np.uint8)
    cv2.line(canvas, (100, 30), (100, 170), 255, 14)  # a one
    cv2.imwrite(str(tmp_path / "one.png"), canvas)
    env = {**os.environ, "PYTHONPATH": str(installed)}
    where = subprocess.run([sys.executable, "-c", "import digitnet.common.paths as p; "
                            "print(p.__file__); print(p.weights_path('improved'))"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    module, weights = where.stdout.splitlines()
    assert Path(module).is_relative_to(installed)
    assert Path(weights) == installed / "digitnet" / "_weights" / "improved.pt"
    result = subprocess.run([sys.executable, "-m", "digitnet", "predict", "one.png"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("one.png: 1 (")


def test_a_checkout_uses_its_weights_folder(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    assert paths.shipped_weights_dir() == REPO_ROOT / "weights"  # no _weights in a checkout
    monkeypatch.setattr(paths, "INSTALLED_WEIGHTS_DIR", tmp_path)
    assert paths.weights_path("simple") == tmp_path / "simple.pt"


def test_per_user_folders_and_their_overrides(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.delenv(paths.DATA_ENV_VAR, raising=False)
    monkeypatch.delenv(paths.SAMPLES_ENV_VAR, raising=False)
    assert paths.default_mnist_dir() == paths.user_cache_dir() / "mnist"
    assert paths.default_samples_dir() == paths.user_data_dir() / "samples"
    assert paths.user_data_dir().name == paths.user_cache_dir().name == "digitnet"
    monkeypatch.setenv(paths.SAMPLES_ENV_VAR, str(tmp_path / "env"))
    assert paths.default_samples_dir() == tmp_path / "env"
    assert paths.default_samples_dir(tmp_path / "flag") == tmp_path / "flag"  # a flag wins
    monkeypatch.setenv(paths.DATA_ENV_VAR, str(tmp_path / "mnist"))
    assert paths.default_mnist_dir() == tmp_path / "mnist"
