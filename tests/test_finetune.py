import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from digitnet import DigitnetError
from digitnet.augment import Augment
from digitnet.cli import main
from digitnet.data import load_mnist
from digitnet.finetune import FinetuneStopped, finetune
from digitnet.models import create_model
from digitnet.paths import weights_path
from digitnet.recognizer import Recognizer
from digitnet.samples import SampleStore
from digitnet.train import to_tensor, train_one_epoch
from digitnet.weights import save_weights

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from finetune_styles import save_style_samples  # noqa: E402  (the benchmark's "unusual hand")

TINY = {"width": 8, "hidden": 32}


def fill(store: SampleStore, counts: dict[int, int]) -> None:
    """Trivial stand-in samples: enough for the checks that run before any training."""
    strokes = [np.array([[0.5, 0.2], [0.5, 0.8]])]
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:15] = 1.0
    for label, n in counts.items():
        for _ in range(n):
            store.save(strokes, image, label, canvas_size=(100, 100))


def test_refuses_too_few_samples_saying_how_many_more(tmp_path, untrained_weights):
    store = SampleStore(tmp_path / "samples")
    fill(store, {2: 3, 5: 6, 8: 4})
    with pytest.raises(DigitnetError, match=r"digit 2 has 3 \(2 more needed\), digit 8 has 4 \(1 more needed\)"):
        finetune(store.folder, untrained_weights, tmp_path / "out.pt")
    assert not (tmp_path / "out.pt").exists()


def test_refuses_an_empty_folder_from_the_cli(tmp_path, untrained_weights, capsys):
    assert main(["finetune", "--samples", str(tmp_path / "none"), "--weights", str(untrained_weights)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no samples in") and err.count("\n") == 1
    assert "press its key (0-9)" in err


def test_never_writes_over_shipped_or_existing_weights(tmp_path, untrained_weights):
    store = SampleStore(tmp_path / "samples")
    fill(store, {1: 5})
    with pytest.raises(DigitnetError, match="shipped weights file"):
        finetune(store.folder, untrained_weights, weights_path("simple"))
    with pytest.raises(DigitnetError, match="already exists"):
        finetune(store.folder, untrained_weights, untrained_weights)


@pytest.fixture(scope="module")
def tiny_base(mnist_dir, tmp_path_factory) -> Path:
    """A small model trained for a few seconds on 4,000 MNIST digits: reads MNIST at about 90 %."""
    images, labels = load_mnist("train", mnist_dir)
    x, y = to_tensor(images[:4000]), torch.from_numpy(labels[:4000])
    torch.manual_seed(0)
    model = create_model("simple", **TINY)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=2 * 63)
    generator = torch.Generator().manual_seed(0)
    for epoch in range(2):
        train_one_epoch(model, optimizer, scheduler, x, y, Augment(), generator, 64, torch.device("cpu"), "tiny")
    path = tmp_path_factory.mktemp("base") / "simple.pt"
    return save_weights(path, "simple", TINY, model, {"transform_version": 1, "test_acc": 0.9})


@pytest.fixture(scope="module")
def slanted_samples(mnist_dir, tmp_path_factory) -> Path:
    """20 drawings of each digit in a strongly back-slanted hand, from MNIST digits the base never saw."""
    images, labels = load_mnist("train", mnist_dir)
    rng = np.random.default_rng(1)
    picked = np.concatenate([50_000 + rng.choice(np.flatnonzero(labels[50_000:] == d), 20, replace=False)
                             for d in range(10)])
    store = SampleStore(tmp_path_factory.mktemp("samples"))
    save_style_samples(store, images[picked], labels[picked], rng, slant=1.4, brush=0.012)
    return store.folder


def test_learns_a_handwriting_style_and_leaves_the_base_untouched(tmp_path, mnist_dir, tiny_base, slanted_samples):
    base_bytes = tiny_base.read_bytes()
    messages = []
    summary = finetune(slanted_samples, tiny_base, tmp_path / "mine.pt", epochs=10, lr=3e-3, holdout=0.5,
                       data_dir=mnist_dir, mnist_limit=1000, progress=messages.append)

    assert tiny_base.read_bytes() == base_bytes
    assert summary["trained_per_digit"] == [10] * 10 and summary["held_aside_per_digit"] == [10] * 10
    assert summary["held_aside_acc_after"] >= summary["held_aside_acc_before"] + 0.3, summary
    assert summary["mnist_test_acc_after"] >= summary["mnist_test_acc_before"] - 0.03, summary
    assert any(m.startswith("before:") for m in messages) and messages[-1] == f"wrote {tmp_path / 'mine.pt'}"

    recognizer = Recognizer.load(summary["weights"])
    meta = recognizer.meta["metadata"]
    assert meta["finetune"]["base_weights"] == str(tiny_base.resolve())
    assert meta["finetune"]["samples_per_digit"] == [20] * 10
    assert meta["finetune"]["held_aside_acc_after"] == summary["held_aside_acc_after"]
    assert meta["base"]["test_acc"] == 0.9 and meta["transform_version"] == 1


def test_stops_when_asked_and_writes_nothing(tmp_path, mnist_dir, tiny_base, slanted_samples):
    with pytest.raises(FinetuneStopped):
        finetune(slanted_samples, tiny_base, tmp_path / "mine.pt", data_dir=mnist_dir, mnist_limit=100,
                 should_stop=lambda: True)
    assert list(tmp_path.iterdir()) == []
