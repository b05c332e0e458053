"""Configs built from flags name the flags in their errors; configs read from files, the fields."""

from __future__ import annotations

import dataclasses

import pytest

from digitnet.cli.main import main
from digitnet.common.records import RecordError, from_plain
from digitnet.data.pendigits import writer_folds
from digitnet.train.config import TrainConfig


@pytest.mark.parametrize("flags, message", [
    (["train", "--limit", "50"], "--limit must be 0 (all images) or at least 100, got 50"),
    (["train", "--blend", "0.5"], "--blend below 1 needs --init weights to blend with"),
    (["train", "--dropout", "0.1", "--init", "w.pt"],
     "--dropout cannot change the model of --init weights"),
    (["train", "--continental", "0.5", "--restroke", "0"],
     "--continental needs --restroke above 0 (and augmentation on)"),
    (["train", "--ink", "0.3", "--cvl", "2"],
     "--ink needs pen data to write: --pen, --unipen or --letters"),
])
def test_a_config_from_flags_names_the_flag(flags: list[str], message: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(flags) == 2
    assert capsys.readouterr().err == f"error: {message}\n"


def test_a_config_from_a_file_names_the_field_by_its_path() -> None:
    with pytest.raises(RecordError) as limit:
        from_plain(TrainConfig, {"limit": 50}, "checkpoint.config")
    assert str(limit.value) == ("checkpoint.config.limit must be 0 (all images) or at least 100, "
                                "got 50")
    with pytest.raises(RecordError) as batch:
        from_plain(TrainConfig, {"batch_size": 0}, "config")
    assert str(batch.value) == "config.batch_size: expected an integer >= 1, got '0'"


def test_resume_differences_name_the_flags_as_typed() -> None:
    saved = TrainConfig()
    now = dataclasses.replace(saved, batch_size=64, augment=False, weight_decay=0.0)
    assert saved.differences(now) == ["--batch-size 128, now 64", "--weight-decay 0.05, now 0.0",
                                      "--no-augment not given, now given"]
    assert now.differences(saved) == ["--batch-size 64, now 128", "--weight-decay 0.0, now 0.05",
                                      "--no-augment given, now not given"]
    assert saved.differences(dataclasses.replace(saved, out="elsewhere", test=False)) == []


def test_pen_hold_out_takes_exactly_the_tuning_folds_of_writer_folds() -> None:
    """config keeps pendigits (and OpenCV) off `train --help`'s path, so it names the fold
    range itself: it must stay writer_folds' folds, fold 0 (the benchmark's) meaning none."""
    folds = len(writer_folds())
    for fold in range(1, folds):
        assert TrainConfig(pen=1, pen_hold_out=fold).pen_hold_out == fold
    with pytest.raises(RecordError, match="pen_hold_out"):
        TrainConfig(pen=1, pen_hold_out=folds)


def test_any_negatives_make_a_model_that_can_refuse() -> None:
    """Omniglot and scribbles, UNIPEN's letters or Quick, Draw!'s doodles: each teaches "not a
    digit", so each stores a reject threshold."""
    assert not TrainConfig(pen=3, unipen=2, cvl=2).learns_negatives
    for negatives in ({"negatives": 10}, {"letters": 10}, {"doodles": 10}):
        assert TrainConfig(**negatives).learns_negatives  # type: ignore[arg-type]
