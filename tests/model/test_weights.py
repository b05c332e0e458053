"""Weights files: typed metadata that round-trips, old files that still load, and every way a
damaged or hostile file is refused with one line naming what is wrong."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import LEGACY, OLD_FINETUNED, SideEffect

from digitnet import DigitnetError
from digitnet.common.records import RecordError, from_plain, to_plain
from digitnet.data.mnist import MNIST_FILES
from digitnet.model import weights
from digitnet.model.classifier import Classifier, ClassifierError
from digitnet.model.networks import create_model
from digitnet.model.weights import (
    DataSource,
    EpochRecord,
    FinetuneRecord,
    WeightsError,
    WeightsInfo,
    WeightsMetadata,
    load_tagged,
    load_weights,
    save_weights,
)
from digitnet.train.checkpoint import CheckpointError, load_checkpoint
from digitnet.train.config import FinetuneConfig, TrainConfig

TINY = {"width": 8, "hidden": 32}
# written by the finetune of 2026-11, before metadata was typed
EPOCHS = tuple(EpochRecord(e, 1 / e, 0.9, 0.95, 1e-3, 1000.0, 10.0 * e) for e in (1, 2))


def full_metadata() -> WeightsMetadata:
    """Metadata with every field set, a base, a fine-tune record: what round-trips must keep."""
    base = WeightsMetadata(transform_version=1, date="2026-01-01T00:00:00+00:00", history=EPOCHS,
                           best_epoch=2, val_acc=0.95, validation_seed=3,
                           training=TrainConfig(seed=3, epochs=2))
    record = FinetuneRecord(
        config=FinetuneConfig(epochs=4, samples="s"), samples_dir="/s", samples_per_digit=(5,) * 10,
        trained_per_digit=(4,) * 10, held_aside_per_digit=(1,) * 10, held_aside_acc_before=0.5,
        held_aside_acc_after=0.9, mnist_test_images=100, mnist_test_acc_before=0.9,
        mnist_test_acc_after=0.89, replay=3, augment={"rotate_deg": 5.0, "scale": (0.9, 1.1)})
    return WeightsMetadata(
        transform_version=1, date="2026-01-02T00:00:00+00:00", torch="2.13.0",
        learned_from=(DataSource("mnist", dict(MNIST_FILES), 540),
                      DataSource("samples", images=40)),
        validation_seed=3, finetune=record, base=base, base_path="/base.pt", reject_threshold=0.7)


def saved(tmp_path: Path, metadata: WeightsMetadata, name: str = "simple",
          config: dict | None = None) -> Path:
    config = TINY if config is None and name == "simple" else config or {}
    return save_weights(tmp_path / "w.pt", WeightsInfo(name, config, metadata),
                        create_model(name, **config))


def test_metadata_round_trips_through_a_file(tmp_path):
    metadata = full_metadata()
    _, info = load_weights(saved(tmp_path, metadata))
    assert info == WeightsInfo("simple", TINY, metadata)
    stored = torch.load(tmp_path / "w.pt", weights_only=True)["metadata"]  # plain dicts
    assert stored["base"]["history"][1]["epoch"] == 2


@pytest.mark.parametrize("record", [
    full_metadata(), TrainConfig(model="improved", ema=0.99, init="x.pt", blend=0.5),
    FinetuneConfig(out="o.pt"), EPOCHS[0]])
def test_records_round_trip_through_plain_dicts(record):
    assert from_plain(type(record), to_plain(record), "r") == record


def test_a_fine_tune_carries_its_lineage_and_the_curves_of_its_base():
    metadata = full_metadata()
    assert metadata.trained() is metadata.base
    assert metadata.full_history() == (EPOCHS, 0)  # fine-tuning on samples adds no epochs
    continued = dataclasses.replace(metadata, history=EPOCHS, finetune=None)  # a train --init run
    records, before = continued.full_history()
    assert before == 2 and [r.epoch for r in records] == [1, 2, 3, 4]


@pytest.mark.parametrize("name, epochs, base_epochs", [("simple", 15, None), ("improved", 8, 40)])
def test_the_shipped_weights_of_the_old_format_load_typed(name, epochs, base_epochs):
    """The weights digitnet shipped before pen data (kept as tests/legacy/MODEL-v1.pt)."""
    path = LEGACY / f"{name}-v1.pt"
    classifier = Classifier.load(path)
    metadata = classifier.metadata
    assert classifier.path == path and classifier.name == name
    assert len(metadata.history) == epochs and metadata.training is not None
    assert metadata.validation_seed == metadata.training.seed
    assert metadata.learned_from == (DataSource("mnist", dict(MNIST_FILES)),)
    assert metadata.test_acc is not None and metadata.test_acc > 0.99
    if base_epochs is None:
        assert metadata.base is None
        assert metadata.training.restroke == 0  # trained before --restroke existed
    else:
        assert metadata.base is not None and len(metadata.base.history) == base_epochs
        assert metadata.training.blend == 0.6
        assert metadata.base_path == "runs/improved40/improved.pt"


def test_a_fine_tuned_file_of_the_old_format_loads_with_its_base():
    model, info = load_weights(OLD_FINETUNED)
    metadata = info.metadata
    assert info.model == "simple" and info.config == TINY
    assert metadata.finetune is not None and metadata.finetune.config.epochs == 1
    assert metadata.finetune.samples_per_digit == (5,) * 10
    assert metadata.base is not None and len(metadata.base.history) == 15  # simple.pt's metadata
    # the seed comes from its base: no more "trained with seed None"
    assert metadata.validation_seed == 0 == metadata.base.validation_seed
    assert metadata.full_history()[0] == metadata.base.history
    assert metadata.base_path is not None and metadata.base_path.endswith("base.pt")


def payload_of(path: Path) -> dict:
    return torch.load(path, weights_only=True)


@pytest.mark.parametrize("change, message", [
    (lambda p: p.update(metadata=None), "metadata must be a dict, got None"),
    (lambda p: p["metadata"].update(transform_version="1"),
     "metadata.transform_version must be an integer"),
    (lambda p: p["config"].update(width=-3),
     "config.width: expected an integer >= 1 and <= 1024, got '-3'"),
    (lambda p: p["config"].update(dropout=2),
     "config.dropout: expected a finite number >= 0 and < 1"),
    (lambda p: p["config"].update(colour="blue"),
     "config.colour is not an argument of the 'simple' model"),
    (lambda p: p.update(config=[1]), "config must be a dict"),
    (lambda p: p.update(model=["simple"]), "unknown model ['simple']"),
    (lambda p: p.update(model="resnet9000"), "unknown model 'resnet9000'"),
    (lambda p: p.update(format_version=7), "weights format version 7 is not supported"),
    (lambda p: p["metadata"].update(val_acc=1.5),
     "metadata.val_acc: expected a finite number >= 0 and <= 1"),
    (lambda p: p["metadata"].update(val_acc=float("nan")),
     "metadata.val_acc: expected a finite number"),
    (lambda p: p["metadata"]["history"][0].update(train_loss="low"),
     "metadata.history[0].train_loss must be"),
    (lambda p: p["metadata"]["training"].update(batch_size=0),
     "metadata.training.batch_size: expected an integer"),
    (lambda p: p["metadata"].update(base=[]), "metadata.base must be a dict, got []"),
    (lambda p: p["metadata"]["learned_from"][0].update(images=-1), "learned_from[0].images"),
])
def test_wrong_types_and_ranges_are_refused_naming_the_field(tmp_path, change, message):
    path = saved(tmp_path, WeightsMetadata(history=EPOCHS, best_epoch=1, training=TrainConfig(),
                                           learned_from=(DataSource("mnist"),)))
    payload = payload_of(path)
    change(payload)
    torch.save(payload, path)
    with pytest.raises(WeightsError, match="^" + str(path).replace("\\", "\\\\")) as info:
        load_weights(path)
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("change, message", [
    (lambda m: None, "metadata must be a dict, got None"),
    (lambda m: {**m, "transform_version": "2"}, "metadata.transform_version must be an integer"),
    (lambda m: {**m, "train_args": {**m["train_args"], "seed": "zero"}},
     "metadata.validation_seed"),
    (lambda m: {**m, "train_args": "fast"}, "metadata.train_args must be a dict"),
    (lambda m: {**m, "history": [{"epoch": 1}]}, "metadata.history[0].train_loss is missing"),
])
def test_old_format_files_are_checked_the_same_way(tmp_path, change, message):
    payload = payload_of(LEGACY / "simple-v1.pt")
    payload["metadata"] = change(payload["metadata"])
    path = tmp_path / "old.pt"
    torch.save(payload, path)
    with pytest.raises(WeightsError, match="weights|metadata") as info:
        load_weights(path)
    assert message in str(info.value)


@pytest.mark.parametrize("damage, message", [
    (lambda s: s["features.0.0.weight"].view(-1).__setitem__(0, float("nan")), "NaN or infinite"),
    (lambda s: s["classifier.4.bias"].__setitem__(3, float("inf")), "NaN or infinite"),
    (lambda s: s["features.0.1.running_var"].__setitem__(0, -1.0), "negative variance"),
    (lambda s: s["classifier.1.weight"].zero_(), "classifier.1.weight is all zeros"),
    (lambda s: s.__setitem__("features.0.1.weight", "heavy"), "is not a named tensor"),
    (lambda s: s.pop("classifier.4.bias"), "do not match the 'simple' architecture"),
])
def test_damaged_tensors_are_refused(tmp_path, damage, message):
    path = saved(tmp_path, WeightsMetadata())
    payload = payload_of(path)
    damage(payload["state_dict"])
    torch.save(payload, path)
    with pytest.raises(WeightsError, match=message):
        load_weights(path)


def test_all_zero_weights_are_refused(tmp_path):
    model = create_model("simple", **TINY)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
    path = save_weights(tmp_path / "zero.pt", WeightsInfo("simple", TINY, WeightsMetadata()), model)
    with pytest.raises(WeightsError, match="all zeros"):
        Classifier.load(path)


def test_a_pickled_payload_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "hostile.pt"
    payload = {"format": "digitnet-weights", "format_version": 2, "metadata": SideEffect(marker)}
    torch.save(payload, path)
    with pytest.raises(WeightsError) as error:
        Classifier.load(path)
    assert str(error.value) == (f"{path}: not a readable weights file: it holds Python objects "
                                "besides tensors, which digitnet never loads (they could run code)")
    assert not marker.exists()


def cut_short(tmp_path: Path) -> bytes:
    """A real weights file, cut off halfway through (an interrupted copy or download)."""
    whole = saved(tmp_path, WeightsMetadata()).read_bytes()
    return whole[: len(whole) // 2]


def torch_saved(tmp_path: Path, thing: object) -> bytes:
    torch.save(thing, tmp_path / "saved.pt")
    return (tmp_path / "saved.pt").read_bytes()


@pytest.mark.parametrize("name, content, what", [
    ("seven.png", lambda _: b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "it is a PNG image"),
    ("photo.jpg", lambda _: b"\xff\xd8\xff\xe0" + b"\x00" * 40, "it is a JPEG image"),
    ("empty.pt", lambda _: b"", "it is empty"),
    ("notes.pt", lambda _: b"these are not weights\n", "it is not a file that PyTorch saved"),
    ("garbage.pt", lambda _: b"\x00garbage" * 100, "it is not a file that PyTorch saved"),
    ("cut.pt", cut_short, "it is damaged or cut short (an incomplete copy or download?)"),
    ("model.pt", lambda tmp_path: torch_saved(tmp_path, create_model("simple", **TINY)),
     "it holds Python objects besides tensors, which digitnet never loads (they could run code)"),
], ids=["png", "jpeg", "empty", "text", "garbage", "truncated", "whole-module"])
def test_a_file_that_is_not_weights_says_what_it_is_in_one_line_of_our_own(tmp_path, name,
                                                                             content, what):
    """Never torch's message (cut mid-sentence) nor its advice to load without weights_only."""
    path = tmp_path / name
    path.write_bytes(content(tmp_path))
    with pytest.raises(WeightsError) as error:
        load_weights(path)
    assert str(error.value) == f"{path}: not a readable weights file: {what}"


def test_a_folder_is_not_a_weights_file(tmp_path):
    with pytest.raises(WeightsError, match="not a file"):
        load_weights(tmp_path)


def test_saving_without_replace_never_clobbers(tmp_path):
    path = saved(tmp_path, WeightsMetadata(date="first"))
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        save_weights(path, WeightsInfo("simple", TINY, WeightsMetadata(date="second")),
                     create_model("simple", **TINY), replace=False)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["w.pt"]


def test_non_finite_output_or_input_never_becomes_a_confidence(tmp_path):
    classifier = Classifier.load(saved(tmp_path, WeightsMetadata()))
    classifier.model.state_dict()["classifier.4.bias"][0] = float("nan")  # damaged after loading
    with pytest.raises(ClassifierError, match="not finite"):
        classifier.probabilities(np.zeros((1, 28, 28), np.float32))
    fine = Classifier.load(tmp_path / "w.pt")
    image = np.zeros((28, 28), np.float32)
    image[3, 4] = np.nan
    with pytest.raises(ClassifierError, match="NaN or infinite pixels"):
        fine.probabilities(image)


def test_plain_records_name_the_nested_field():
    with pytest.raises(RecordError, match=r"^m\.base\.history\[1\]\.val_acc must be a number"):
        history = [to_plain(EPOCHS[0]), {**to_plain(EPOCHS[1]), "val_acc": "high"}]
        from_plain(WeightsMetadata, {"base": {"history": history}}, "m")


def test_a_small_file_claiming_a_huge_model_is_refused_before_it_is_built(tmp_path, monkeypatch):
    """width 1024 and hidden 65536 are allowed alone, and together ask for ~9.7 GB: the tensors
    are compared with the architecture built on the meta device, which allocates nothing."""
    path = tmp_path / "huge.pt"
    torch.save({"format": "digitnet-weights", "format_version": 2, "model": "simple",
                "config": {"width": 1024, "hidden": 65536}, "metadata": {},
                "state_dict": create_model("simple", **TINY).state_dict()}, path)
    assert path.stat().st_size < 100_000
    built = []
    build = weights.create_model

    def only_on_meta(name: str, **config: object) -> torch.nn.Module:
        device = torch.get_default_device()
        built.append(device.type)
        assert device.type == "meta", "built for real"
        return build(name, **config)

    monkeypatch.setattr(weights, "create_model", only_on_meta)
    with pytest.raises(WeightsError) as error:
        load_weights(path)
    assert built == ["meta"]
    message = str(error.value)
    assert message == (f"{path}: weights do not match the 'simple' architecture "
                       "(features.0.0.weight is [8, 1, 3, 3] in the file, [1024, 1, 3, 3] in the "
                       "model)")


def test_weights_files_and_checkpoints_are_read_by_one_loader_and_told_apart(tmp_path):
    class OtherError(DigitnetError):
        pass

    weights_file = saved(tmp_path, WeightsMetadata())
    assert load_tagged(weights_file, "digitnet-weights", "weights file", OtherError)["model"] == \
        "simple"
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(weights_file)
    assert str(error.value) == (f"{weights_file}: not a digitnet checkpoint: it is a digitnet "
                                "weights file")
    checkpoint = tmp_path / "checkpoint.pt"
    torch.save({"format": "digitnet-checkpoint", "format_version": 1}, checkpoint)
    with pytest.raises(WeightsError) as error:
        load_weights(checkpoint)
    assert str(error.value) == (f"{checkpoint}: not a digitnet weights file: it is a training "
                                "checkpoint (train exports its weights as RUN/MODEL.pt)")
    torch.save({"format": "something else"}, checkpoint)
    with pytest.raises(WeightsError, match="it is a PyTorch file without the 'digitnet-weights' "
                                           "header$"):
        load_weights(checkpoint)
    checkpoint.write_bytes(b"\x00" * 10)
    with pytest.raises(OtherError, match=f"^{checkpoint}: not a readable thing: "):
        load_tagged(checkpoint, "digitnet-checkpoint", "thing", OtherError)
