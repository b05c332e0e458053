"""Evaluate a weights file on the MNIST test set: metrics, a summary, and PNG reports.

Reports: confusion-matrix heat map, per-class accuracy, the misclassified digits, a
reliability diagram (calibration) and, when the run's per-epoch log can be found, its
training curves: from --metrics if given, else from the weights file's own history.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from digitnet import DigitnetError
from digitnet.common.atomic import check_writable
from digitnet.common.digits import NUM_CLASSES
from digitnet.common.records import RecordError, from_plain
from digitnet.common.wording import counted
from digitnet.data.mnist import load_mnist
from digitnet.model.classifier import Classifier
from digitnet.model.weights import EpochRecord, WeightsMetadata
from digitnet.reading.reject import rejected
from digitnet.train.config import EvaluateConfig

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ECE_BINS = 15  # equal-width confidence bins, the usual choice since Guo et al. 2017
TOP_CONFUSIONS = 10
BATCH_SIZE = 500  # bounds memory: the first conv layer of 10,000 digits at once is ~1 GB


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray,
                     n_classes: int = NUM_CLASSES) -> np.ndarray:
    """[true, predicted] -> count, int64 [n_classes, n_classes]."""
    flat = np.asarray(labels, np.int64) * n_classes + np.asarray(predictions, np.int64)
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """Recall of each true class; NaN for a class with no images."""
    counts = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, np.diag(confusion) / counts, np.nan)


def top_confusions(confusion: np.ndarray, k: int = TOP_CONFUSIONS) -> list[tuple[int, int, int]]:
    """The k most frequent (true, predicted, count) mistakes, most frequent first; ties by true
    label."""
    errors = confusion.copy()
    np.fill_diagonal(errors, 0)
    order = np.argsort(-errors, axis=None, kind="stable")[:k]
    pairs = [(*divmod(int(i), confusion.shape[1]), int(errors.flat[i])) for i in order]
    return [(true, predicted, count) for true, predicted, count in pairs if count > 0]


@dataclass(frozen=True)
class ReliabilityBins:
    """Equal-width confidence bins over (0, 1]: images, mean confidence and accuracy in each."""

    counts: np.ndarray  # int [n_bins]
    confidence: np.ndarray  # float [n_bins], NaN where empty
    accuracy: np.ndarray  # float [n_bins], NaN where empty


def reliability_bins(confidences: np.ndarray, correct: np.ndarray,
                     n_bins: int = ECE_BINS) -> ReliabilityBins:
    confidences = np.asarray(confidences, np.float64)
    # bin i: (i/n, (i+1)/n]
    bins = np.clip(np.ceil(confidences * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        confidence = np.bincount(bins, confidences, n_bins) / counts
        accuracy = np.bincount(bins, np.asarray(correct, np.float64), n_bins) / counts
    return ReliabilityBins(counts, confidence, accuracy)


def expected_calibration_error(confidences: np.ndarray, correct: np.ndarray,
                               n_bins: int = ECE_BINS) -> float:
    """Mean |accuracy - confidence| over the bins, weighted by the share of images in each."""
    bins = reliability_bins(confidences, correct, n_bins)
    filled = bins.counts > 0
    gaps = np.abs(bins.accuracy[filled] - bins.confidence[filled])
    return float(np.sum(bins.counts[filled] * gaps) / bins.counts.sum())


def misclassified(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Indices of the wrong predictions, the most confident mistakes first."""
    predictions, confidences = probs.argmax(axis=1), probs.max(axis=1)
    wrong = np.flatnonzero(predictions != labels)
    return wrong[np.argsort(-confidences[wrong], kind="stable")]


@dataclass(frozen=True)
class ClassRow:
    """One digit's figures."""

    digit: int
    n: int
    errors: int
    accuracy: float | None  # None: no images of this digit
    rejected: int


@dataclass(frozen=True)
class Confusion:
    true: int
    predicted: int
    count: int


@dataclass(frozen=True)
class Metrics:
    """What `summarize` counts. `accuracy`, `errors` and the confusions are the model's forced
    choice; `rejected` counts the digits below the reject threshold, and
    `accuracy_rejects_as_errors` is the share read right and not rejected: what a user of predict
    or the app sees."""

    accuracy: float
    n: int
    errors: int
    rejected: int
    accuracy_rejects_as_errors: float
    ece: float
    per_class: tuple[ClassRow, ...]
    confusion_matrix: tuple[tuple[int, ...], ...]  # rows: true digit, columns: predicted
    top_confusions: tuple[Confusion, ...]


def summarize(labels: np.ndarray, probs: np.ndarray,
              rejects: np.ndarray | None = None) -> Metrics:
    """Every metric, computed from labels [N], probabilities [N, 10] and which digits were
    rejected as not digits [N] (None: none)."""
    predictions = probs.argmax(axis=1)
    confusion = confusion_matrix(labels, predictions)
    accuracy = per_class_accuracy(confusion)
    counts = confusion.sum(axis=1)
    errors = int(len(labels) - np.trace(confusion))
    rejects = np.zeros(len(labels), bool) if rejects is None else np.asarray(rejects, bool)
    rejected_per_class = np.bincount(labels[rejects], minlength=NUM_CLASSES)
    return Metrics(
        accuracy=(len(labels) - errors) / len(labels), n=len(labels), errors=errors,
        rejected=int(rejects.sum()),
        accuracy_rejects_as_errors=float(np.mean((predictions == labels) & ~rejects)),
        ece=round(expected_calibration_error(probs.max(axis=1), predictions == labels), 6),
        per_class=tuple(
            ClassRow(d, int(counts[d]), int(counts[d] - confusion[d, d]),
                     None if np.isnan(accuracy[d]) else round(float(accuracy[d]), 6),
                     int(rejected_per_class[d]))
            for d in range(NUM_CLASSES)),
        confusion_matrix=tuple(tuple(row) for row in confusion.tolist()),
        top_confusions=tuple(Confusion(*c) for c in top_confusions(confusion)))


@dataclass(frozen=True)
class EvaluationResult:
    model: str
    weights: str
    reject_threshold: float | None  # None: --no-reject, or the weights have none
    metrics: Metrics
    reports: tuple[str, ...]  # the files written
    training_curves: str | None  # where the curves' records came from; None: no curves

    def as_json(self) -> dict[str, Any]:
        """The --json document: the metrics' fields at the top level, as they always were."""
        return {"model": self.model, "weights": self.weights,
                "reject_threshold": self.reject_threshold, **asdict(self.metrics),
                "reports": list(self.reports), "training_curves": self.training_curves}


def predict_probabilities(classifier: Classifier, images: np.ndarray) -> np.ndarray:
    """uint8 MNIST images [N, 28, 28] -> probabilities [N, 10], a batch at a time."""
    batches = [images[i : i + BATCH_SIZE].astype(np.float32) / 255
               for i in range(0, len(images), BATCH_SIZE)]
    return np.concatenate([classifier.probabilities(batch) for batch in batches])


def read_metrics(path: str | Path) -> list[EpochRecord]:
    """A run's metrics.jsonl: one EpochRecord per line, every field checked."""
    try:
        lines = Path(path).read_text().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        reason = getattr(e, "strerror", None) or e
        raise DigitnetError(f"--metrics {path}: cannot read ({reason})") from None
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(from_plain(EpochRecord, json.loads(line), "record"))
        except json.JSONDecodeError:
            raise DigitnetError(f"{path}:{number}: not a JSON record") from None
        except RecordError as e:
            raise DigitnetError(f"{path}:{number}: {e}") from None
    if not records:
        raise DigitnetError(f"--metrics {path}: no records")
    return records


@dataclass
class TrainingHistory:
    """Per-epoch records for the training curves, and what the curves should mark."""

    records: list[EpochRecord]
    source: str  # "the weights file", a metrics.jsonl path, or "" when there is none
    fine_tune_from: int = 0  # epochs of the run an --init run started from
    # (epoch, validation accuracy, what the weights file holds)
    exported: tuple[int, float, str] | None = None


def exported_epoch(metadata: WeightsMetadata) -> tuple[int, float, str] | None:
    """The epoch a weights file was exported from, its validation accuracy, and a note saying
    what it holds."""
    trained = metadata.trained()  # a fine-tune on samples keeps its base's epochs
    if trained.best_epoch is None or trained.val_acc is None:
        return None
    epoch = trained.full_history()[1] + trained.best_epoch
    blend = trained.training.blend if trained.training else 1.0
    held = f"epoch {epoch}"
    if blend < 1:
        held += f" blended {100 * blend:.0f} % with the weights it started from"
    if trained is not metadata:
        held += ", then fine-tuned on samples of a person's handwriting"
    note = f"exported: {held}, validation accuracy {100 * trained.val_acc:.2f} %"
    return epoch, trained.val_acc, note


def training_history(metadata: WeightsMetadata, metrics_path: str | None) -> TrainingHistory:
    """The curves' records; an explicit --metrics wins over the weights file's own history."""
    if metrics_path:
        return TrainingHistory(read_metrics(metrics_path), str(metrics_path))
    records, fine_tune_from = metadata.full_history()
    if not records:
        return TrainingHistory([], "")
    return TrainingHistory(list(records), "the weights file", fine_tune_from,
                           exported_epoch(metadata))


def draw_reports(model: str, metrics: Metrics, images: np.ndarray, labels: np.ndarray,
                 probs: np.ndarray, history: TrainingHistory) -> dict[str, Figure]:
    """Report name -> figure, drawn from the metrics' numbers so the figures match the text;
    training curves only when there is a history."""
    from digitnet.train import reports  # matplotlib: imported only to draw reports

    subject = f"{model}, {counted(metrics.n, 'MNIST test image')}"
    predictions, confidences = probs.argmax(axis=1), probs.max(axis=1)
    rows = metrics.per_class
    accuracy = np.array([row.accuracy for row in rows], float)  # None (no images) -> NaN
    errors, counts = np.array([row.errors for row in rows]), np.array([row.n for row in rows])
    bins = reliability_bins(confidences, predictions == labels)
    wrong = misclassified(labels, probs)
    drawn = {
        "confusion_matrix": reports.confusion_heatmap(np.array(metrics.confusion_matrix),
                                                      subject),
        "per_class_accuracy": reports.per_class_bars(accuracy, errors, counts, subject),
        "misclassified": reports.misclassified_grid(
            images[wrong], labels[wrong], predictions[wrong], confidences[wrong], wrong, subject),
        "reliability": reports.reliability_diagram(bins.confidence, bins.accuracy, bins.counts,
                                                   metrics.ece, subject),
    }
    if history.records:
        drawn["training_curves"] = reports.training_curves(
            history.records, f"{model}, from {history.source}",
            history.exported, history.fine_tune_from)
    return drawn


def write_reports(out: Path, drawn: dict[str, Figure]) -> tuple[str, ...]:
    from digitnet.train.reports import save_figure

    try:
        return tuple(str(save_figure(out / f"{name}.png", fig)) for name, fig in drawn.items())
    except OSError as e:
        raise DigitnetError(f"--out {out}: cannot write the reports ({e.strerror or e})") from None


def make_folder(out: Path) -> None:
    """Create --out and check it takes files before the slow part, so a bad path fails at once."""
    try:
        check_writable(out)
    except OSError as e:
        raise DigitnetError(f"--out {out}: cannot write reports there "
                            f"({e.strerror or e})") from None


def evaluate(config: EvaluateConfig) -> EvaluationResult:
    """Evaluate as `config` says and write the reports."""
    # all cores: a batch job, not the UI
    classifier = Classifier.load(config.weights, threads=None, reject=config.reject)
    history = training_history(classifier.metadata, config.metrics)
    images, labels = load_mnist("test", config.data_dir)
    if config.limit:
        images, labels = images[: config.limit], labels[: config.limit]
    out = Path(config.out or Path("reports") / classifier.name)
    make_folder(out)

    probs = predict_probabilities(classifier, images)  # MNIST's digits are no specks: no speck rule
    metrics = summarize(labels, probs, rejected(probs, classifier.threshold))
    drawn = draw_reports(classifier.name, metrics, images, labels, probs, history)
    return EvaluationResult(classifier.name, str(classifier.path), classifier.threshold, metrics,
                            write_reports(out, drawn), history.source or None)


def format_summary(result: EvaluationResult) -> str:
    metrics = result.metrics
    lines = [
        f"{result.model} ({result.weights}) on {counted(metrics.n, 'MNIST test image')}",
        f"accuracy  {100 * metrics.accuracy:.2f} %  ({counted(metrics.errors, 'error')})",
        *reject_lines(result),
        f"ECE       {100 * metrics.ece:.2f} %  ({ECE_BINS} equal-width confidence bins)",
        "",
        "digit  images  errors  accuracy  rejected",
    ]
    for row in metrics.per_class:
        accuracy = "-" if row.accuracy is None else f"{100 * row.accuracy:.2f} %"
        lines.append(f"{row.digit:>5}  {row.n:>6}  {row.errors:>6}  {accuracy:>8}  "
                     f"{row.rejected:>8}")
    lines += ["", "most frequent confusions (true -> predicted: count)"]
    confusions = [f"  {c.true} -> {c.predicted}: {c.count}" for c in metrics.top_confusions]
    lines += confusions or ["  none"]
    lines += ["", "reports:"] + [f"  {path}" for path in result.reports]
    if result.training_curves:
        lines.append(f"training curves from {result.training_curves}")
    else:
        lines.append("training curves skipped: the weights file has no training history; "
                     "pass --metrics RUN/metrics.jsonl")
    return "\n".join(lines)


def reject_lines(result: EvaluationResult) -> list[str]:
    """How many digits were rejected as not digits, and the accuracy with them as errors."""
    threshold, metrics = result.reject_threshold, result.metrics
    if threshold is None:
        return ["rejected  none  (no reject threshold: --no-reject, or the weights have none)"]
    share = metrics.rejected / metrics.n
    return [f"rejected  {100 * share:.2f} %  ({counted(metrics.rejected, 'digit')} with a top "
            f"probability below {threshold:.4f})",
            f"          {100 * metrics.accuracy_rejects_as_errors:.2f} %  accuracy with "
            "rejects counted as errors"]
