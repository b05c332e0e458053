"""Shared fixtures (the real MNIST files, weights files) and the markers of slow and real-window
tests. Helpers that are not fixtures are in helpers.py and shapes.py, imported as modules."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import REPO_ROOT, require
from window_driver import TIMEOUT_S, App, start_xvfb

from digitnet.common.digits import NUM_CLASSES, TRANSFORM_VERSION
from digitnet.common.paths import DATA_ENV_VAR, default_mnist_dir
from digitnet.data.mnist import DataError, load_mnist
from digitnet.model.networks import create_model
from digitnet.model.weights import WeightsInfo, WeightsMetadata, save_weights

# `pytest -m "not slow and not gui"` is the quick loop while working (under a minute); the
# README's command runs everything. gui: a real window under Xvfb; slow: training, torchrun,
# the shipped weights over all of MNIST, a wheel built, and the tests of SLOW_TESTS.
GUI_MODULES = {"test_real_window.py", "test_real_window_exits.py"}
SLOW_MODULES = {"test_distributed.py", "test_shipped_weights.py", "test_packaging.py",
                "test_train.py", "test_finetune.py", "test_evaluate.py", "test_reports.py",
                "test_mixture.py", "test_sequence.py"}
# slow tests in quick modules: whole data sets read, or digitnet run in a new Python (torch
# imported afresh, 2-3 s each)
SLOW_TESTS = {
    "test_strings.py": {
        "test_the_folds_hands_share_no_writer_and_training_pages_use_training_writers_only"},
    "test_predict_cli.py": {"test_predict_json_on_real_digits_in_both_polarities",
                            "test_bad_files_fail_alone",
                            "test_a_user_error_from_the_shell_is_one_line"},
    "test_cli.py": {"test_a_closed_pipe_ends_quietly"},
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = item.path.name
        if name in GUI_MODULES:
            item.add_marker(pytest.mark.gui)
        test = item.originalname if isinstance(item, pytest.Function) else item.name
        if name in SLOW_MODULES or test in SLOW_TESTS.get(name, ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def torch_threads_restored() -> Iterator[None]:
    """A Classifier sets torch's thread count for the process; no test leaves it changed."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """$DIGITNET_DATA, else ../shared/data/mnist beside the repo, else the user cache
    (downloading)."""
    shared = REPO_ROOT.parent / "shared" / "data" / "mnist"
    use_shared = shared.is_dir() and not os.environ.get(DATA_ENV_VAR)
    folder = default_mnist_dir(shared if use_shared else None)
    try:
        for split in ("train", "test"):
            load_mnist(split, folder)
    except DataError as e:
        require(False, str(e))
    return folder


@pytest.fixture
def untrained_weights(tmp_path: Path) -> Path:
    """A valid weights file of an untrained SimpleCNN: for flow tests that need no accuracy."""
    info = WeightsInfo("simple", {}, WeightsMetadata(transform_version=TRANSFORM_VERSION))
    return save_weights(tmp_path / "untrained.pt", info, create_model("simple"))


@pytest.fixture(scope="session")
def shipped_weights() -> Path:
    path = REPO_ROOT / "weights" / "simple.pt"
    assert path.is_file(), f"shipped weights missing: {path}"
    return path


@pytest.fixture(scope="module")
def mnist_digits(mnist_dir: Path) -> dict[int, np.ndarray]:
    """The first three test digits of each class, [3, 28, 28], light on black (predict's tests)."""
    images, labels = load_mnist("test", mnist_dir)
    return {digit: images[np.flatnonzero(labels == digit)[:3]] for digit in range(NUM_CLASSES)}


# The real window (tests/app/test_real_window*.py): a private X server, and every app a test
# started ended after it.
@pytest.fixture(scope="module")
def display():
    server, name = start_xvfb()
    try:
        yield name
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def end_every_app():
    yield
    while App.running:
        process = App.running.pop().process
        process.kill()
        process.wait(TIMEOUT_S)
