import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from digitnet.cli import main
from digitnet.evaluate import (
    confusion_matrix,
    expected_calibration_error,
    misclassified,
    per_class_accuracy,
    reliability_bins,
    top_confusions,
    training_history,
)
from digitnet.models import create_model
from digitnet.weights import save_weights

REPORTS = ["confusion_matrix", "per_class_accuracy", "misclassified", "reliability", "training_curves"]
HISTORY = [
    {"epoch": e, "train_loss": 1 / e, "train_acc": 0.8 + e / 100, "val_acc": 0.9 + e / 100, "lr": 1e-3,
     "images_per_s": 1000.0, "elapsed_s": 10.0 * e}
    for e in (1, 2, 3)
]

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


def test_a_fine_tunes_curves_continue_the_run_it_started_from():
    tuned = {"init": {"history": HISTORY}, "history": HISTORY[:2], "best_epoch": 2, "val_acc": 0.925,
             "train_args": {"blend": 0.6}}
    history = training_history(tuned, None)
    assert [r["epoch"] for r in history.records] == [1, 2, 3, 4, 5]
    assert [r["val_acc"] for r in history.records] == [r["val_acc"] for r in HISTORY + HISTORY[:2]]
    assert history.source == "the weights file" and history.fine_tune_from == 3
    assert history.exported == (5, 0.925, "exported: epoch 5 blended 60 % with the weights it started from, "
                                          "validation accuracy 92.50 %")
    plain = training_history({"history": HISTORY, "best_epoch": 2, "val_acc": 0.92}, None)
    assert plain.fine_tune_from == 0 and plain.exported == (2, 0.92, "exported: epoch 2, validation accuracy 92.00 %")


@pytest.fixture
def weights_with_history(tmp_path: Path) -> Path:
    """An untrained SimpleCNN with a training history: the flow needs no accuracy."""
    return save_weights(tmp_path / "simple.pt", "simple", {}, create_model("simple"), {"history": HISTORY})


def evaluate(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["evaluate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_png(path: str) -> None:
    image = cv2.imread(path)
    assert image is not None, f"{path} is not a readable image"
    height, width, channels = image.shape
    assert channels == 3 and 300 <= height <= 2000 and 500 <= width <= 2000, f"{path}: {image.shape}"
    assert 0 < (image < 250).mean() < 0.7, f"{path}: blank or flooded"


def test_evaluate_json_on_the_full_test_set_writes_every_report(capsys, tmp_path, mnist_dir, weights_with_history):
    out = tmp_path / "reports"
    code, stdout, _ = evaluate(capsys, "--weights", str(weights_with_history), "--data-dir", str(mnist_dir),
                               "--out", str(out), "--json")
    assert code == 0
    result = json.loads(stdout)  # exactly one JSON document
    assert result["n"] == 10_000 and 0 <= result["accuracy"] <= 1
    confusion = np.array(result["confusion_matrix"])
    assert confusion.shape == (10, 10) and confusion.sum() == 10_000
    assert result["errors"] == 10_000 - np.trace(confusion) == sum(row["errors"] for row in result["per_class"])
    assert result["accuracy"] == pytest.approx(1 - result["errors"] / 10_000)
    assert 0 <= result["ece"] <= 1
    assert all(c["count"] > 0 for c in result["top_confusions"])
    assert result["weights"] == str(weights_with_history)
    assert result["training_curves"] == "the weights file"
    assert result["reports"] == [str(out / f"{name}.png") for name in REPORTS]
    for path in result["reports"]:
        assert_png(path)


def test_evaluate_text_skips_curves_without_history_and_defaults_out_to_reports_model(
        capsys, tmp_path, monkeypatch, mnist_dir):
    weights = save_weights(tmp_path / "bare.pt", "simple", {}, create_model("simple"), {})
    monkeypatch.chdir(tmp_path)
    code, stdout, _ = evaluate(capsys, "--weights", str(weights), "--data-dir", str(mnist_dir), "--limit", "200")
    assert code == 0
    assert "on 200 MNIST test images" in stdout and "accuracy" in stdout and "ECE" in stdout
    assert "training curves skipped" in stdout
    written = sorted(p.name for p in (tmp_path / "reports" / "simple").iterdir())
    assert written == sorted(f"{name}.png" for name in REPORTS if name != "training_curves")


def test_evaluate_draws_curves_from_a_metrics_file(capsys, tmp_path, mnist_dir):
    weights = save_weights(tmp_path / "bare.pt", "simple", {}, create_model("simple"), {})
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text("".join(json.dumps(record) + "\n" for record in HISTORY))
    code, stdout, _ = evaluate(capsys, "--weights", str(weights), "--data-dir", str(mnist_dir), "--limit", "50",
                               "--out", str(tmp_path / "out"), "--metrics", str(metrics), "--json")
    assert code == 0
    assert json.loads(stdout)["training_curves"] == str(metrics)
    assert_png(str(tmp_path / "out" / "training_curves.png"))


@pytest.mark.parametrize("problem", ["missing weights", "out is a file", "corrupt data", "bad metrics"])
def test_user_errors_are_one_error_line_and_exit_2(capsys, tmp_path, mnist_dir, weights_with_history, problem):
    args = {"--weights": str(weights_with_history), "--data-dir": str(mnist_dir), "--out": str(tmp_path / "out"),
            "--limit": "10"}
    if problem == "missing weights":
        args["--weights"] = str(tmp_path / "nope.pt")
    elif problem == "out is a file":
        (tmp_path / "file").write_text("")
        args["--out"] = str(tmp_path / "file")
    elif problem == "corrupt data":
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "t10k-images-idx3-ubyte.gz").write_bytes(b"not mnist")
        args["--data-dir"] = str(tmp_path / "data")
    else:
        (tmp_path / "metrics.jsonl").write_text('{"epoch": 1}\n')
        args["--metrics"] = str(tmp_path / "metrics.jsonl")
    code, stdout, stderr = evaluate(capsys, *[part for pair in args.items() for part in pair])
    assert code == 2 and stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("error: "), stderr
