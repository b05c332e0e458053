import argparse
import json

import numpy as np
import pytest
import torch

from digitnet import train
from digitnet.augment import restroke, skeletons_2x
from digitnet.recognizer import Recognizer


def train_args(out, mnist_dir, **overrides) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    train.add_arguments(parser)
    args = parser.parse_args(["--data-dir", str(mnist_dir), "--out", str(out), "--limit", "600",
                              "--epochs", "2", "--batch-size", "32", "--device", "cpu"])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


class Killed(Exception):
    pass


def test_tiny_run_learns_and_exports_loadable_weights(tmp_path, mnist_dir):
    summary = train.run(train_args(tmp_path, mnist_dir, epochs=3))
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2, 3]
    assert records[-1]["train_loss"] < records[0]["train_loss"]
    assert summary["history"] == records
    assert 0 <= summary["test_acc"] <= 1 and summary["best_epoch"] in (1, 2, 3)

    recognizer = Recognizer.load(tmp_path / "simple.pt")
    assert recognizer.name == "simple"
    meta = recognizer.meta["metadata"]
    assert meta["val_acc"] == summary["val_acc"] and len(meta["mnist_md5"]) == 4
    images, labels = train.load_mnist("test", mnist_dir)
    hits = sum(p.digit == y for p, y in zip(recognizer.classify_images(images[:300] / 255.0), labels[:300]))
    assert hits / 300 > 0.5  # 600 images and 3 epochs already beat chance by far


def test_killed_run_resumes_to_the_same_result(tmp_path, mnist_dir):
    straight = train.run(train_args(tmp_path / "straight", mnist_dir))

    def kill_after_first_epoch(model, record):
        if record["epoch"] == 1:
            raise Killed

    with pytest.raises(Killed):
        train.run(train_args(tmp_path / "resumed", mnist_dir), after_epoch=kill_after_first_epoch)
    assert not (tmp_path / "resumed" / "simple.pt").exists()
    resumed = train.run(train_args(tmp_path / "resumed", mnist_dir, resume=True))

    timing = {"images_per_s", "elapsed_s"}
    strip = lambda history: [{k: v for k, v in r.items() if k not in timing} for r in history]  # noqa: E731
    assert strip(resumed["history"]) == strip(straight["history"])
    a = torch.load(tmp_path / "straight" / "simple.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "resumed" / "simple.pt", weights_only=True)["state_dict"]
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_resume_refuses_a_different_run(tmp_path, mnist_dir):
    train.run(train_args(tmp_path, mnist_dir, epochs=1))
    with pytest.raises(train.DigitnetError, match="different"):
        train.run(train_args(tmp_path, mnist_dir, epochs=3, resume=True))
    with pytest.raises(train.DigitnetError, match="no checkpoint"):
        train.run(train_args(tmp_path / "empty", mnist_dir, resume=True))


def test_init_continues_from_weights_of_the_same_model_and_seed(tmp_path, mnist_dir):
    base = train.run(train_args(tmp_path / "base", mnist_dir, epochs=3))
    tuned = train.run(train_args(tmp_path / "tuned", mnist_dir, epochs=1, lr=1e-4, init=tmp_path / "base" / "simple.pt"))
    assert tuned["init"]["test_acc"] == base["test_acc"] and tuned["init"]["train_args"]["epochs"] == 3
    # one gentle epoch from the trained weights: far better than one epoch from scratch
    scratch = train.run(train_args(tmp_path / "scratch", mnist_dir, epochs=1))
    assert tuned["history"][0]["val_acc"] > scratch["history"][0]["val_acc"] + 0.1

    with pytest.raises(train.DigitnetError, match="pass --seed 0"):
        train.run(train_args(tmp_path / "x", mnist_dir, epochs=1, seed=1, init=tmp_path / "base" / "simple.pt"))
    with pytest.raises(train.DigitnetError, match="not --model improved"):
        train.run(train_args(tmp_path / "x", mnist_dir, model="improved", init=tmp_path / "base" / "simple.pt"))


def test_blend_exports_a_mix_of_the_init_and_the_fine_tuned_weights(tmp_path, mnist_dir):
    train.run(train_args(tmp_path / "base", mnist_dir, epochs=3))
    init = tmp_path / "base" / "simple.pt"
    train.run(train_args(tmp_path / "tuned", mnist_dir, init=init))
    blended = train.run(train_args(tmp_path / "blended", mnist_dir, init=init, blend=0.25))
    start, tuned, mix = (torch.load(tmp_path / run / "simple.pt", weights_only=True)["state_dict"]
                         for run in ("base", "tuned", "blended"))
    floats = [k for k in start if start[k].is_floating_point()]
    assert any(not torch.equal(start[k], tuned[k]) for k in floats)
    for k in floats:
        assert torch.allclose(mix[k], 0.75 * start[k] + 0.25 * tuned[k], atol=1e-6), k
    recognizer = Recognizer.load(tmp_path / "blended" / "simple.pt")
    assert recognizer.meta["metadata"]["val_acc"] == blended["val_acc"]
    base_history = torch.load(init, weights_only=True)["metadata"]["history"]
    assert len(base_history) == 3 and blended["init"]["history"] == base_history  # the curves continue it

    for bad in (dict(blend=0.0), dict(blend=1.5), dict(blend=0.5, init=None)):
        with pytest.raises(train.DigitnetError, match="--blend"):
            train.run(train_args(tmp_path / "x", mnist_dir, **{"init": init, **bad}))


def test_select_exports_the_val_best_or_the_last_epoch(tmp_path, mnist_dir):
    for select in ("val", "last"):
        out = tmp_path / select
        summary = train.run(train_args(out, mnist_dir, epochs=3, select=select))
        val = [r["val_acc"] for r in summary["history"]]
        expected_epoch = 3 if select == "last" else 1 + val.index(max(val))
        assert summary["best_epoch"] == expected_epoch and summary["val_acc"] == val[expected_epoch - 1]
        exported = torch.load(out / "simple.pt", weights_only=True)["state_dict"]
        if select == "last":  # no EMA here, so the last epoch is the checkpoint's model
            last = torch.load(out / "checkpoint.pt", weights_only=True)["model"]
            assert all(torch.equal(exported[k], last[k]) for k in last)


def test_too_few_steps_for_the_schedule_is_a_clear_error(tmp_path, mnist_dir):
    with pytest.raises(train.DigitnetError, match="too few"):
        train.run(train_args(tmp_path, mnist_dir, epochs=1, limit=100, batch_size=128))


def test_augmentation_keeps_shape_range_and_changes_images():
    images = torch.zeros(16, 1, 28, 28)
    images[:, :, 6:22, 12:16] = 1.0  # a thick "1"
    out = train.Augment()(images, torch.Generator().manual_seed(0))
    assert out.shape == images.shape and out.min() >= 0 and out.max() <= 1.0001
    assert (out - images).abs().mean() > 0.01
    assert np.all(out.flatten(1).amax(1).numpy() > 0.5)  # no digit is erased


def test_restroke_redraws_digits_with_one_round_brush(mnist_dir):
    images, _ = train.load_mnist("test", mnist_dir)
    skeletons = skeletons_2x(images[:32])
    assert skeletons.shape == (32, 1, 56, 56) and skeletons.dtype == torch.uint8
    # a skeleton is thin: far fewer pixels than the upscaled digit has ink
    assert skeletons.float().sum() < 0.5 * (images[:32] > 127).sum() * 4
    digits = train.to_tensor(images[:32])
    thin_brush = train.Augment(restroke_prob=1.0, brush_px=(1.0, 1.0))
    thick_brush = train.Augment(restroke_prob=1.0, brush_px=(3.5, 3.5))
    thin = restroke(digits, skeletons, thin_brush, torch.Generator().manual_seed(0))
    thick = restroke(digits, skeletons, thick_brush, torch.Generator().manual_seed(0))
    assert thin.shape == digits.shape and float(thin.max()) == pytest.approx(1.0)
    assert float((thick > 0.5).sum()) > 1.5 * float((thin > 0.5).sum())  # the brush sets the width
    assert not torch.allclose(thin, digits)
