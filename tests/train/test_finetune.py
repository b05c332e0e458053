"""Fine-tuning on a person's samples: it learns their style, never loses or clobbers a file,
checks its output before training, stops within a few batches when asked, and reports whether
the new model meets the rule the app switches models by."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from digitnet import DigitnetError
from digitnet.cli.main import main
from digitnet.common.paths import weights_path
from digitnet.data import mnist as data
from digitnet.data import samples
from digitnet.data.mnist import load_mnist, validation_split
from digitnet.data.samples import SampleStore
from digitnet.model.classifier import Classifier
from digitnet.model.networks import create_model
from digitnet.model.weights import (
    FinetuneRecord,
    WeightsInfo,
    WeightsMetadata,
    load_weights,
    save_weights,
)
from digitnet.reading.reject import calibrate
from digitnet.train.augment import Augment
from digitnet.train.config import FinetuneConfig, TrainConfig
from digitnet.train.finetune import (
    FinetuneResult,
    FinetuneStopped,
    Verdict,
    adoption,
    describe,
    finetune,
    new_output_name,
)
from digitnet.train.trainer import Trainer, to_tensor

TINY = {"width": 8, "hidden": 32}
STROKE = [np.array([[0.5, 0.2], [0.5, 0.8]])]  # stored with each sample; its image is what counts


def fill(store: SampleStore, counts: dict[int, int]) -> None:
    """Trivial stand-in samples: enough for the checks that run before any training."""
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:15] = 1.0
    for label, n in counts.items():
        for _ in range(n):
            store.save(STROKE, image, label, canvas_size=(100, 100))


def slanted(image: np.ndarray, shear: float = 0.9) -> np.ndarray:
    """A digit in a strongly back-slanted hand, still inside the 28x28 frame."""
    matrix = np.array([[1, shear, -14 * shear], [0, 1, 0]], np.float32)
    warped = cv2.warpAffine(image.astype(np.float32) / 255, matrix, (28, 28))
    return np.clip(warped, 0, 1)


def test_refuses_too_few_samples_saying_how_many_more(tmp_path, untrained_weights):
    store = SampleStore(tmp_path / "samples")
    fill(store, {2: 3, 5: 6, 8: 4})
    config = FinetuneConfig(str(store.folder), str(untrained_weights), str(tmp_path / "out.pt"))
    with pytest.raises(DigitnetError, match=r"digit 2 has 3 \(2 more needed\), "
                                            r"digit 8 has 4 \(1 more needed\)"):
        finetune(config)
    assert not (tmp_path / "out.pt").exists()


def test_refuses_an_empty_folder_from_the_cli(tmp_path, untrained_weights, capsys):
    flags = ["--samples", str(tmp_path / "none"), "--weights", str(untrained_weights)]
    assert main(["finetune", *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no samples in") and err.count("\n") == 1
    assert "press its key (0-9)" in err


def test_without_mnist_one_line_says_where_to_put_it(tmp_path, untrained_weights, capsys,
                                                     monkeypatch):
    """Offline without MNIST: which flag or variable names its folder, in one line, and no
    file is written."""
    monkeypatch.setattr(data, "MNIST_MIRRORS", ("http://127.0.0.1:9/",))  # nothing listens there
    store = SampleStore(tmp_path / "samples")
    fill(store, {3: 5})
    out = tmp_path / "out.pt"
    flags = ["--samples", str(store.folder), "--weights", str(untrained_weights), "--out", str(out),
             "--data-dir", str(tmp_path / "no-mnist")]
    assert main(["finetune", *flags]) == 2
    progress, error = capsys.readouterr().err.splitlines()  # "5 samples in ...", then the error
    assert progress.startswith("5 samples in ")
    assert error.startswith(f"error: MNIST is not in {tmp_path / 'no-mnist'}")
    assert "--data-dir" in error and "$DIGITNET_DATA" in error
    assert not out.exists()


@pytest.mark.parametrize("where, message", [
    ("shipped", "shipped weights file"),
    ("existing", "already exists; fine-tuning never overwrites"),
    ("under a file", "cannot write"),
    ("full disk", r"out.pt \(0.0 MB free, [0-9.]+ MB needed\); choose another --out"),
])
def test_the_output_is_checked_before_any_training(tmp_path, untrained_weights, monkeypatch,
                                                   where, message):
    store = SampleStore(tmp_path / "samples")
    fill(store, {1: 5})
    (tmp_path / "file").write_text("")
    out = {"shipped": weights_path("simple"), "existing": untrained_weights,
           "under a file": tmp_path / "file" / "out.pt", "full disk": tmp_path / "out.pt"}[where]
    if where == "full disk":
        monkeypatch.setattr("digitnet.common.atomic.shutil.disk_usage",
                            lambda path: type("Usage", (), {"free": 1000})())
    messages: list[str] = []
    with pytest.raises(DigitnetError, match=message):
        finetune(FinetuneConfig(str(store.folder), str(untrained_weights), str(out)),
                 progress=messages.append)
    # nothing was measured, let alone trained
    assert not any(m.startswith("before:") for m in messages)


def test_output_names_cannot_collide():
    names = {new_output_name("simple") for _ in range(50)}  # all within the same second
    assert len(names) == 50 and all(n.name.startswith("finetuned-simple-") for n in names)


@pytest.fixture(scope="module")
def tiny_base(mnist_dir, tmp_path_factory) -> Path:
    """A small model trained for a few seconds on 4,000 MNIST digits: reads MNIST at about 90 %."""
    images, labels = load_mnist("train", mnist_dir)
    x, y = to_tensor(images[:4000]), torch.from_numpy(labels[:4000])
    torch.manual_seed(0)
    model = create_model("simple", **TINY)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=2 * 63)
    trainer = Trainer(model, optimizer, scheduler, torch.Generator().manual_seed(0),
                      torch.device("cpu"), Augment(restroke_prob=0.0))
    for _ in range(2):
        trainer.epoch(x, y, 64, progress=False)
    path = tmp_path_factory.mktemp("base") / "simple.pt"
    metadata = WeightsMetadata(transform_version=1, test_acc=0.9, validation_seed=0)
    return save_weights(path, WeightsInfo("simple", TINY, metadata), model)


@pytest.fixture(scope="module")
def slanted_samples(mnist_dir, tmp_path_factory) -> Path:
    """20 drawings of each digit in a strongly slanted hand, of MNIST digits the base never saw."""
    images, labels = load_mnist("train", mnist_dir)
    rng = np.random.default_rng(1)
    store = SampleStore(tmp_path_factory.mktemp("samples"))
    for digit in range(10):
        for i in rng.choice(np.flatnonzero(labels[50_000:] == digit), 20, replace=False):
            store.save(STROKE, slanted(images[50_000 + i]), digit, canvas_size=(100, 100))
    return store.folder


def test_learns_a_handwriting_style_and_leaves_the_base_untouched(tmp_path, mnist_dir, tiny_base,
                                                                  slanted_samples):
    base_bytes = tiny_base.read_bytes()
    messages: list[str] = []
    config = FinetuneConfig(str(slanted_samples), str(tiny_base), str(tmp_path / "mine.pt"),
                            epochs=10, lr=3e-3, holdout=0.5, data_dir=str(mnist_dir),
                            mnist_limit=1000)
    result = finetune(config, progress=messages.append)

    assert tiny_base.read_bytes() == base_bytes
    record = result.record
    assert record.trained_per_digit == (10,) * 10 and record.held_aside_per_digit == (10,) * 10
    assert record.held_aside_acc_after >= record.held_aside_acc_before + 0.2, record
    assert record.mnist_test_acc_after >= record.mnist_test_acc_before - 0.03, record
    assert any(m.startswith("before:") for m in messages)
    assert messages[-1] == f"wrote {tmp_path / 'mine.pt'}"

    classifier = Classifier.load(result.weights)
    metadata = classifier.metadata
    assert metadata.finetune == record and metadata.base_path == str(tiny_base.resolve())
    assert metadata.base is not None and metadata.base.test_acc == 0.9
    assert metadata.validation_seed == 0
    assert metadata.reject_threshold is None  # the base has none: none is made up
    assert [source.name for source in metadata.learned_from] == ["samples"]
    as_json = json.loads(json.dumps(result.as_dict()))
    assert as_json["held_aside_per_digit"] == [10] * 10
    assert as_json["meets_adoption_rule"] == adoption(record).adopt


def test_a_file_that_appears_meanwhile_is_never_clobbered(tmp_path, mnist_dir, tiny_base,
                                                          slanted_samples):
    out = tmp_path / "mine.pt"

    def squat(message: str) -> None:  # another program writes the same name during training
        if message.startswith("epoch 1/"):
            out.write_bytes(b"someone else's")

    config = FinetuneConfig(str(slanted_samples), str(tiny_base), str(out), epochs=1,
                            data_dir=str(mnist_dir), mnist_limit=100)
    with pytest.raises(DigitnetError, match="appeared while fine-tuning; nothing was written"):
        finetune(config, progress=squat)
    assert out.read_bytes() == b"someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.pt"]


def test_stops_within_a_few_batches_and_writes_nothing(tmp_path, mnist_dir, tiny_base,
                                                       slanted_samples):
    messages: list[str] = []
    calls = 0

    def stop_after_a_few_checks() -> bool:
        nonlocal calls
        calls += 1
        return calls > 3  # the "before" measurement checks once per 1,000 images; then per batch

    config = FinetuneConfig(str(slanted_samples), str(tiny_base), str(tmp_path / "mine.pt"),
                            data_dir=str(mnist_dir), mnist_limit=1000)
    with pytest.raises(FinetuneStopped):
        finetune(config, progress=messages.append, should_stop=stop_after_a_few_checks)
    assert not any(m.startswith("epoch 1/") for m in messages)  # stopped inside the first epoch
    assert calls == 4 and list(tmp_path.iterdir()) == []


def test_skips_samples_that_cannot_be_redrawn(tmp_path, mnist_dir, tiny_base, slanted_samples,
                                              monkeypatch):
    store = SampleStore(tmp_path / "samples")
    for path in sorted(slanted_samples.iterdir())[:60]:  # digits 0-2, 20 of each
        (store.folder / path.name).parent.mkdir(exist_ok=True)
        (store.folder / path.name).write_bytes(path.read_bytes())
    store.save([np.array([[1.5, 1.5], [1.9, 1.9]])], np.zeros((28, 28)), 3, canvas_size=(100, 100))
    # as if the transform had changed since they were saved: every sample is redrawn from its
    # strokes, and the last one's strokes lie off its canvas
    monkeypatch.setattr(samples, "TRANSFORM_VERSION", samples.TRANSFORM_VERSION + 1)
    messages: list[str] = []
    config = FinetuneConfig(str(store.folder), str(tiny_base), str(tmp_path / "m.pt"), epochs=1,
                            data_dir=str(mnist_dir), mnist_limit=100)
    result = finetune(config, progress=messages.append)
    assert len(result.skipped) == 1 and "skipped, its strokes draw nothing" in result.skipped[0]
    assert any(m.startswith("warning: ") and "draw nothing" in m for m in messages)
    assert result.record.samples_per_digit == (20, 20, 20) + (0,) * 7


def copy_samples(source: Path, folder: Path, count: int) -> SampleStore:
    """A store holding the first `count` samples of `source`."""
    folder.mkdir()
    for path in sorted(source.iterdir())[:count]:
        (folder / path.name).write_bytes(path.read_bytes())
    return SampleStore(folder)


def test_a_sample_with_a_bad_version_or_date_is_skipped_and_the_fine_tune_goes_on(
        tmp_path, mnist_dir, tiny_base, slanted_samples):
    """Such a sample stopped the whole fine-tune with 'unexpected ValueError' (or KeyError)."""
    store = copy_samples(slanted_samples, tmp_path / "samples", 60)  # digits 0-2, 20 of each
    good = dict(np.load(sorted(store.folder.iterdir())[0]))
    bad_version = store.folder / "0_20300101T000000000000Z_00000001.npz"
    np.savez(bad_version, **{**good, "transform_version": np.array("abc")})
    undated = store.folder / "0_20300101T000000000000Z_00000002.npz"
    np.savez(undated, **{k: v for k, v in good.items() if k != "created"})
    messages: list[str] = []
    config = FinetuneConfig(str(store.folder), str(tiny_base), str(tmp_path / "m.pt"), epochs=1,
                            data_dir=str(mnist_dir), mnist_limit=100)
    result = finetune(config, progress=messages.append)
    assert result.skipped == (f"{bad_version}: skipped, transform_version 'abc' is not a version "
                              "number", f"{undated}: skipped, field 'created' is missing")
    assert [m for m in messages if m.startswith("warning: ")] == [
        f"warning: {warning}" for warning in result.skipped]
    assert result.record.samples_per_digit == (20, 20, 20) + (0,) * 7
    assert result.weights.is_file()


def test_the_reject_threshold_is_calibrated_again_on_the_bases_validation_digits(
        tmp_path, mnist_dir, tiny_base, slanted_samples):
    """Fine-tuning moves the confidences: the base's threshold would keep another share of
    digits. The new one keeps the base's --reject-keep of the digits the base was validated on."""
    model, info = load_weights(tiny_base)
    metadata = dataclasses.replace(info.metadata, reject_threshold=0.5,
                                   training=TrainConfig(seed=0, reject_keep=0.9))
    base = save_weights(tmp_path / "base.pt", dataclasses.replace(info, metadata=metadata), model)
    store = copy_samples(slanted_samples, tmp_path / "samples", 60)
    messages: list[str] = []
    config = FinetuneConfig(str(store.folder), str(base), str(tmp_path / "m.pt"), epochs=2,
                            lr=3e-3, data_dir=str(mnist_dir), mnist_limit=100)
    result = finetune(config, progress=messages.append)

    tuned, tuned_info = load_weights(result.weights)
    images, _ = load_mnist("train", mnist_dir)
    validation = images[validation_split(len(images), 0)[1]]
    with torch.no_grad():
        top = tuned(to_tensor(validation)).softmax(1).max(1).values.numpy()
    threshold = tuned_info.metadata.reject_threshold
    assert threshold is not None and threshold != 0.5
    assert threshold == pytest.approx(calibrate(top, 0.9), abs=1e-6)
    assert (top >= threshold).mean() >= 0.9
    assert f"reject threshold 0.5000 -> {threshold:.4f}: keeps 90.0 % of the base's validation " \
           "digits" in messages


# the adoption rule: the app switches to a fine-tuned model only if it meets it


def record(held_aside: tuple[float, float], mnist: tuple[float, float]) -> FinetuneRecord:
    """A fine-tune's record with these accuracies (before, after)."""
    return FinetuneRecord(
        config=FinetuneConfig(), samples_dir="samples", samples_per_digit=(25,) * 10,
        trained_per_digit=(20,) * 10, held_aside_per_digit=(5,) * 10,
        held_aside_acc_before=held_aside[0], held_aside_acc_after=held_aside[1],
        mnist_test_images=10_000, mnist_test_acc_before=mnist[0], mnist_test_acc_after=mnist[1])


@pytest.mark.parametrize("held_aside, mnist", [
    ((0.88, 0.96), (0.9972, 0.9959)),  # better on the samples, 0.13 points down on MNIST
    ((0.9, 0.9), (0.9954, 0.9954)),  # ties
    ((0.9, 0.9), (0.9954, 0.9934)),  # exactly 0.2 points down (20 images in 10,000)
    ((0.5, 1.0), (0.99, 0.995)),  # better on both
])
def test_adopts_a_model_at_least_as_good_on_the_samples_and_within_the_tolerance(held_aside,
                                                                                 mnist):
    verdict = adoption(record(held_aside, mnist))
    assert verdict.adopt, verdict
    assert verdict.reason.startswith("the fine-tuned one reads your held-aside samples at least "
                                     "as well (")
    assert "MNIST test within 0.2 points (" in verdict.reason


@pytest.mark.parametrize("held_aside, mnist, reason", [
    ((0.9, 0.85), (0.99, 0.995),
     "the fine-tuned one reads your held-aside samples worse (85.0 % vs 90.0 %)"),
    ((0.9, 0.88), (0.9954, 0.9954),  # one held-aside sample in 50 worse is worse
     "the fine-tuned one reads your held-aside samples worse (88.0 % vs 90.0 %)"),
    ((0.5, 1.0), (0.9955, 0.992),
     "the fine-tuned one reads MNIST test 0.35 points worse (99.20 % vs 99.55 %), more than the "
     "0.2 allowed"),
    ((0.9, 0.9), (0.9954, 0.9933),  # 21 images in 10,000 more wrong: just past the tolerance
     "the fine-tuned one reads MNIST test 0.21 points worse (99.33 % vs 99.54 %), more than the "
     "0.2 allowed"),
    ((0.9, 0.8), (0.99, 0.98),
     "the fine-tuned one reads your held-aside samples worse (80.0 % vs 90.0 %) and MNIST test "
     "1.00 points worse (98.00 % vs 99.00 %), more than the 0.2 allowed"),
])
def test_keeps_the_old_model_when_the_new_one_is_worse_saying_why(held_aside, mnist, reason):
    assert adoption(record(held_aside, mnist)) == Verdict(adopt=False, reason=reason)


def finetune_result(tmp_path: Path, held_aside, mnist) -> FinetuneResult:
    return FinetuneResult(tmp_path / "tuned.pt", tmp_path / "base.pt",
                          record(held_aside, mnist), skipped=(), time_s=1.0)


@pytest.mark.parametrize("held_aside, mnist, verdict", [
    ((0.88, 0.96), (0.9972, 0.9959), "the app would switch to it: the fine-tuned one reads your "
     "held-aside samples at least as well (96.0 % vs 88.0 %) and MNIST test within 0.2 points "
     "(99.59 % vs 99.72 %)"),
    ((0.9, 0.85), (0.99, 0.99), "the app would keep the model it started from: the fine-tuned "
     "one reads your held-aside samples worse (85.0 % vs 90.0 %)"),
])
def test_the_cli_reports_the_apps_verdict_and_swaps_nothing(tmp_path, monkeypatch, capsys,
                                                            held_aside, mnist, verdict):
    result = finetune_result(tmp_path, held_aside, mnist)
    configs = []
    monkeypatch.setattr("digitnet.train.finetune.finetune",
                        lambda config, progress: configs.append(config) or result)
    assert main(["finetune", "--samples", str(tmp_path / "samples")]) == 0
    assert len(configs) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [describe(result), verdict,
                     f"new weights: {tmp_path / 'tuned.pt'} (load them with --weights)"]

    assert main(["finetune", "--samples", str(tmp_path / "samples"), "--json"]) == 0
    as_json = json.loads(capsys.readouterr().out)
    adopt = verdict.startswith("the app would switch")
    assert as_json["meets_adoption_rule"] is adopt
    assert verdict.endswith(as_json["adoption_reason"])
