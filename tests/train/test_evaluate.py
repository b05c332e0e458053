"""Evaluation: the metrics counted by hand, the command's output and reports, the training
history it finds (fine-tunes included), the digits a reject threshold turns away, and one
clear line for every bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import OLD_FINETUNED, with_reject_threshold

from digitnet.cli.main import main
from digitnet.common.records import to_plain
from digitnet.data import mnist as data
from digitnet.data.mnist import load_mnist
from digitnet.model.classifier import Classifier
from digitnet.model.networks import create_model
from digitnet.model.weights import (
    EpochRecord,
    WeightsInfo,
    WeightsMetadata,
    load_weights,
    save_weights,
)
from digitnet.train.config import TrainConfig
from digitnet.train.evaluate import (
    EvaluationResult,
    confusion_matrix,
    expected_calibration_error,
    format_summary,
    misclassified,
    per_class_accuracy,
    reliability_bins,
    summarize,
    top_confusions,
    training_history,
)

REPORTS = ["confusion_matrix", "per_class_accuracy", "misclassified", "reliability",
           "training_curves"]
HISTORY = tuple(EpochRecord(e, 1 / e, 0.8 + e / 100, 0.9 + e / 100, 1e-3, 1000.0, 10.0 * e)
                for e in (1, 2, 3))
# written by the finetune of 2026-11, before metadata was typed

# three classes, counted by hand: rows true, columns predicted
LABELS = np.array([0, 0, 1, 1, 2, 2, 2])
PREDICTIONS = np.array([0, 1, 1, 1, 2, 0, 0])
CONFUSION = [[1, 1, 0], [0, 2, 0], [2, 0, 1]]


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    assert confusion_matrix(LABELS, PREDICTIONS, n_classes=3).tolist() == CONFUSION


def test_per_class_accuracy_is_recall_and_nan_for_an_absent_class():
    accuracy = per_class_accuracy(confusion_matrix(LABELS, PREDICTIONS, n_classes=4))
    np.testing.assert_allclose(accuracy[:3], [1 / 2, 1, 1 / 3])
    assert np.isnan(accuracy[3])


def test_top_confusions_are_off_diagonal_most_frequent_first_without_zeros():
    confusion = np.array(CONFUSION)
    assert top_confusions(confusion) == [(2, 0, 2), (0, 1, 1)]
    assert top_confusions(confusion, k=1) == [(2, 0, 2)]


def test_ece_is_zero_when_confidence_matches_accuracy_in_every_bin():
    confidences = np.array([0.8] * 10 + [0.6] * 5)
    correct = np.array([True] * 8 + [False] * 2 + [True] * 3 + [False] * 2)
    assert expected_calibration_error(confidences, correct) == pytest.approx(0.0)


def test_ece_weighs_each_bins_gap_by_its_share_of_images():
    # half the images: confidence 1.0, all right (gap 0); half: confidence 0.5, all wrong (gap 0.5)
    confidences = np.array([1.0] * 5 + [0.5] * 5)
    correct = np.array([True] * 5 + [False] * 5)
    assert expected_calibration_error(confidences, correct) == pytest.approx(0.25)
    assert expected_calibration_error(np.full(4, 0.9), np.zeros(4, bool)) == pytest.approx(0.9)


def test_reliability_bins_are_closed_on_the_right():
    bins = reliability_bins(np.array([1 / 15, 1 / 15 + 1e-9, 1.0]), np.array([True, False, True]))
    assert bins.counts[[0, 1, 14]].tolist() == [1, 1, 1]
    assert bins.counts.sum() == 3
    assert np.isnan(bins.accuracy[7])


def test_misclassified_lists_the_most_confident_mistakes_first():
    probs = np.array([[0.9, 0.1], [0.3, 0.7], [0.2, 0.8], [0.6, 0.4]])
    assert misclassified(np.array([0, 0, 0, 1]), probs).tolist() == [2, 1, 3]


def test_rejects_are_counted_per_class_and_as_errors():
    probs = np.eye(10)[PREDICTIONS]  # the model says PREDICTIONS
    rejects = np.array([False, True, False, True, False, False, True])
    result = summarize(LABELS, probs, rejects)
    assert (result.errors, result.rejected) == (3, 3)  # the forced choice's errors stay
    # right and kept: the first 0, the first 1 and the first 2 (the second 1 was rejected)
    assert result.accuracy_rejects_as_errors == pytest.approx(3 / 7)
    assert [row.rejected for row in result.per_class] == [1, 1, 1] + [0] * 7
    plain = summarize(LABELS, probs)
    assert plain.rejected == 0 and plain.accuracy_rejects_as_errors == plain.accuracy


def test_the_typed_result_keeps_the_json_keys_and_their_order():
    metrics = summarize(LABELS, np.eye(10)[PREDICTIONS])
    result = EvaluationResult("simple", "w.pt", 0.5, metrics, ("a.png",), None)
    document = json.loads(json.dumps(result.as_json()))
    assert list(document) == ["model", "weights", "reject_threshold", "accuracy", "n", "errors",
                              "rejected", "accuracy_rejects_as_errors", "ece", "per_class",
                              "confusion_matrix", "top_confusions", "reports", "training_curves"]
    assert document["per_class"][2] == {"digit": 2, "n": 3, "errors": 2,
                                        "accuracy": round(1 / 3, 6), "rejected": 0}
    assert document["top_confusions"] == [{"true": 2, "predicted": 0, "count": 2},
                                          {"true": 0, "predicted": 1, "count": 1}]
    assert np.array(document["confusion_matrix"])[:3, :3].tolist() == CONFUSION
    assert (document["reports"], document["training_curves"]) == (["a.png"], None)


def test_the_summary_counts_in_words_one_digit_and_many():
    one = EvaluationResult("simple", "w.pt", 0.5, summarize(np.array([3]), np.eye(10)[[5]],
                                                            np.array([True])), (), None)
    text = format_summary(one)
    assert "on 1 MNIST test image\n" in text and "(1 error)" in text
    assert "(1 digit with a top probability below 0.5000)" in text
    many = EvaluationResult("simple", "w.pt", 0.5, summarize(LABELS, np.eye(10)[PREDICTIONS],
                                                             np.ones(7, bool)), (), None)
    text = format_summary(many)
    assert "on 7 MNIST test images\n" in text and "(3 errors)" in text
    assert "(7 digits with a top probability" in text


def test_a_runs_curves_continue_the_run_it_started_from():
    base = WeightsMetadata(history=HISTORY, best_epoch=3, val_acc=0.93)
    tuned = WeightsMetadata(history=HISTORY[:2], best_epoch=2, val_acc=0.925, base=base,
                            training=TrainConfig(init="base.pt", blend=0.6))
    history = training_history(tuned, None)
    assert [r.epoch for r in history.records] == [1, 2, 3, 4, 5]
    assert [r.val_acc for r in history.records] == [r.val_acc for r in HISTORY + HISTORY[:2]]
    assert history.source == "the weights file" and history.fine_tune_from == 3
    assert history.exported == (5, 0.925, "exported: epoch 5 blended 60 % with the weights it "
                                          "started from, validation accuracy 92.50 %")
    plain = training_history(base, None)
    assert plain.fine_tune_from == 0
    assert plain.exported == (3, 0.93, "exported: epoch 3, validation accuracy 93.00 %")


def test_a_fine_tune_on_samples_shows_the_curves_of_its_base():
    """It used to skip them: its metadata had no history of its own."""
    metadata = load_weights(OLD_FINETUNED)[1].metadata
    history = training_history(metadata, None)
    assert len(history.records) == 15 and history.source == "the weights file"
    assert history.exported is not None and history.exported[0] == 12  # simple.pt's best epoch
    assert history.exported[2].endswith("then fine-tuned on samples of a person's handwriting, "
                                         "validation accuracy 99.36 %")


@pytest.fixture
def weights_with_history(tmp_path: Path) -> Path:
    """An untrained SimpleCNN with a training history: the flow needs no accuracy."""
    return weights_file(tmp_path / "simple.pt", WeightsMetadata(history=HISTORY))


def weights_file(path: Path, metadata: WeightsMetadata) -> Path:
    return save_weights(path, WeightsInfo("simple", {}, metadata), create_model("simple"))


def evaluate(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["evaluate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_png(path: str) -> None:
    image = cv2.imread(path)
    assert image is not None, f"{path} is not a readable image"
    height, width, channels = image.shape
    assert channels == 3 and 300 <= height <= 2000 and 500 <= width <= 2000, image.shape
    assert 0 < (image < 250).mean() < 0.7, f"{path}: blank or flooded"


def test_evaluate_json_writes_every_report(capsys, tmp_path, mnist_dir, weights_with_history):
    out = tmp_path / "reports"
    code, stdout, _ = evaluate(capsys, "--weights", str(weights_with_history), "--data-dir",
                               str(mnist_dir), "--out", str(out), "--limit", "2000", "--json")
    assert code == 0
    result = json.loads(stdout)  # exactly one JSON document
    assert result["n"] == 2000 and 0 <= result["accuracy"] <= 1
    confusion = np.array(result["confusion_matrix"])
    assert confusion.shape == (10, 10) and confusion.sum() == 2000
    errors = sum(row["errors"] for row in result["per_class"])
    assert result["errors"] == 2000 - np.trace(confusion) == errors
    assert result["accuracy"] == pytest.approx(1 - result["errors"] / 2000)
    assert 0 <= result["ece"] <= 1
    assert all(c["count"] > 0 for c in result["top_confusions"])
    assert result["weights"] == str(weights_with_history)
    assert result["training_curves"] == "the weights file"
    assert (result["rejected"], result["reject_threshold"]) == (0, None)  # it has no threshold
    assert result["accuracy_rejects_as_errors"] == result["accuracy"]
    assert result["reports"] == [str(out / f"{name}.png") for name in REPORTS]
    for path in result["reports"]:
        assert_png(path)


def test_evaluate_text_skips_curves_without_history_and_defaults_out_to_reports_model(
        capsys, tmp_path, monkeypatch, mnist_dir):
    weights = weights_file(tmp_path / "bare.pt", WeightsMetadata())
    monkeypatch.chdir(tmp_path)
    code, stdout, _ = evaluate(capsys, "--weights", str(weights), "--data-dir", str(mnist_dir),
                               "--limit", "200")
    assert code == 0
    assert "on 200 MNIST test images" in stdout and "accuracy" in stdout and "ECE" in stdout
    assert "training curves skipped" in stdout
    assert "rejected  none  (no reject threshold" in stdout
    written = sorted(p.name for p in (tmp_path / "reports" / "simple").iterdir())
    assert written == sorted(f"{name}.png" for name in REPORTS if name != "training_curves")


def test_evaluate_draws_curves_from_a_metrics_file(capsys, tmp_path, mnist_dir):
    weights = weights_file(tmp_path / "bare.pt", WeightsMetadata())
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text("".join(json.dumps(to_plain(record)) + "\n" for record in HISTORY))
    code, stdout, _ = evaluate(capsys, "--weights", str(weights), "--data-dir", str(mnist_dir),
                               "--limit", "50", "--out", str(tmp_path / "out"), "--metrics",
                               str(metrics), "--json")
    assert code == 0
    assert json.loads(stdout)["training_curves"] == str(metrics)
    assert_png(str(tmp_path / "out" / "training_curves.png"))


def test_evaluate_counts_the_digits_below_the_threshold_as_rejected(capsys, tmp_path, mnist_dir,
                                                                   shipped_weights):
    """Trained weights with a threshold set among their own confidences on these digits: the
    exact digits below it are rejected, and --no-reject rejects none."""
    images, labels = load_mnist("test", mnist_dir)
    images, labels = images[:300], labels[:300]
    probs = Classifier.load(shipped_weights, reject=False).probabilities(images / 255.0)
    top = np.sort(probs.max(axis=1))
    threshold = float(top[20] + top[21]) / 2  # 21 digits below it (unless two tie)
    weights = with_reject_threshold(shipped_weights, threshold, tmp_path / "strict.pt")
    below = probs.max(axis=1) < threshold
    count = int(below.sum())
    args = ["--weights", str(weights), "--data-dir", str(mnist_dir), "--limit", "300",
            "--out", str(tmp_path / "out")]

    code, stdout, _ = evaluate(capsys, *args, "--json")
    assert code == 0
    result = json.loads(stdout)
    assert result["rejected"] == count and 15 <= count <= 25
    assert result["reject_threshold"] == pytest.approx(threshold)
    right = probs.argmax(axis=1) == labels
    assert result["accuracy"] == pytest.approx(right.mean())  # the forced choice
    assert result["accuracy_rejects_as_errors"] == pytest.approx((right & ~below).mean())
    assert result["accuracy_rejects_as_errors"] < result["accuracy"]
    per_class = [int(below[labels == d].sum()) for d in range(10)]
    assert [row["rejected"] for row in result["per_class"]] == per_class

    code, stdout, _ = evaluate(capsys, *args)
    assert code == 0
    assert (f"rejected  {count / 3:.2f} %  ({count} digits with a top probability below "
            f"{threshold:.4f})") in stdout
    assert (f"{100 * (right & ~below).mean():.2f} %  accuracy with rejects counted as errors"
            in stdout)

    code, stdout, _ = evaluate(capsys, *args, "--json", "--no-reject")
    result = json.loads(stdout)
    assert (result["rejected"], result["reject_threshold"]) == (0, None)
    assert result["accuracy_rejects_as_errors"] == result["accuracy"] == pytest.approx(right.mean())


def test_without_mnist_one_line_says_where_to_put_it(capsys, tmp_path, monkeypatch,
                                                     untrained_weights):
    monkeypatch.setattr(data, "MNIST_MIRRORS", ("http://127.0.0.1:9/",))  # nothing listens there
    code, stdout, stderr = evaluate(capsys, "--weights", str(untrained_weights), "--data-dir",
                                    str(tmp_path / "no-mnist"), "--out", str(tmp_path / "out"))
    assert (code, stdout) == (2, "")
    assert stderr.startswith(f"error: MNIST is not in {tmp_path / 'no-mnist'}")
    assert stderr.count("\n") == 1 and "--data-dir" in stderr and "$DIGITNET_DATA" in stderr


BAD_METRICS: dict[str, tuple[str | bytes, str]] = {
    "missing fields": ('{"epoch": 1}\n', "metrics.jsonl:1: record.train_loss is missing"),
    "non-numeric": ('{"epoch": 1, "train_loss": "low", "train_acc": 0.5, "val_acc": 0.5}\n',
                    "metrics.jsonl:1: record.train_loss must be a number, got 'low'"),
    "NaN": ('{"epoch": 1, "train_loss": NaN, "train_acc": 0.5, "val_acc": 0.5}\n',
            "metrics.jsonl:1: record.train_loss: expected a finite number >= 0, got 'nan'"),
    "out of range": ('{"epoch": 0, "train_loss": 1, "train_acc": 0.5, "val_acc": 2}\n',
                     "metrics.jsonl:1: record.epoch: expected an integer >= 1"),
    "not JSON": ('{"epoch": 1,\n', "metrics.jsonl:1: not a JSON record"),
    "a list": ("[1, 2]\n", "metrics.jsonl:1: record must be a dict"),
    "empty": ("\n", "no records"),
    "binary": (b"\xff\xfe\x00", "cannot read"),
}


@pytest.mark.parametrize("problem", ["missing weights", "out is a file", "corrupt data",
                                     "data file is a folder", "data dir is a file",
                                     "shuffled raw labels", *BAD_METRICS])
def test_user_errors_are_one_error_line_and_exit_2(capsys, tmp_path, mnist_dir,
                                                  weights_with_history, problem):
    args = {"--weights": str(weights_with_history), "--data-dir": str(mnist_dir),
            "--out": str(tmp_path / "out"), "--limit": "10"}
    data = tmp_path / "data"
    data.mkdir()
    expected = "error: "
    if problem == "missing weights":
        args["--weights"] = str(tmp_path / "nope.pt")
    elif problem == "out is a file":
        (tmp_path / "file").write_text("")
        args["--out"] = str(tmp_path / "file")
    elif problem == "corrupt data":
        (data / "t10k-images-idx3-ubyte.gz").write_bytes(b"not mnist")
        args["--data-dir"], expected = str(data), "checksum mismatch"
    elif problem == "data file is a folder":
        (data / "t10k-images-idx3-ubyte.gz").mkdir()
        args["--data-dir"], expected = str(data), "is a folder, not a data file"
    elif problem == "data dir is a file":
        args["--data-dir"], expected = str(tmp_path / "out.txt"), "not a folder"
        (tmp_path / "out.txt").write_text("")
    elif problem == "shuffled raw labels":
        for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
            (data / name).write_bytes(gzip.decompress((mnist_dir / f"{name}.gz").read_bytes()))
        labels = data / "t10k-labels-idx1-ubyte"
        raw = bytearray(labels.read_bytes())
        raw[8:] = bytes(np.random.default_rng(0).permutation(np.frombuffer(raw[8:], np.uint8)))
        labels.write_bytes(bytes(raw))
        args["--data-dir"], expected = str(data), "t10k-labels-idx1-ubyte: checksum mismatch"
    else:
        content, expected = BAD_METRICS[problem]
        metrics = tmp_path / "metrics.jsonl"
        metrics.write_bytes(content if isinstance(content, bytes) else content.encode())
        args["--metrics"] = str(metrics)
    code, stdout, stderr = evaluate(capsys, *[part for pair in args.items() for part in pair])
    assert code == 2 and stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("error: "), stderr
    assert expected in stderr
