"""The registry of data sources: folds split by writer, collection or category, never sharing
one; each medium drawn as readers get it; weights that saw a fold's writers are caught."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import shared_file

from digitnet.data.cvl import load_cvl
from digitnet.data.folds import NOT_A_DIGIT, Canvases, Fold, Scans, Trajectories, inputs
from digitnet.data.ink import TRAINING_INK
from digitnet.data.pendigits import ALL_WRITERS, BENCHMARK_WRITERS
from digitnet.data.quickdraw import load_quickdraw
from digitnet.data.sources import (
    FOLDS,
    SOURCES,
    UNIPEN_PROVIDERS,
    Lookup,
    SourceError,
    cvl_writers,
    load_fold,
    pendigits_writers,
    quickdraw_categories,
    seen_groups,
)
from digitnet.data.strokes import APP_STYLE, TRAINING_STYLE, render_all
from digitnet.model.weights import DataSource


def assert_partition(folds: dict[str, set], everything: set) -> None:
    """The folds are disjoint and together hold everything."""
    assert all(folds.values())
    for a in FOLDS:
        for b in FOLDS:
            assert a == b or not folds[a] & folds[b], (a, b)
    assert set().union(*folds.values()) == everything


def test_pendigits_folds_are_whole_writers_and_the_benchmark_is_the_old_one():
    folds = {fold: set(pendigits_writers(fold)) for fold in FOLDS}
    assert_partition(folds, set(ALL_WRITERS))
    assert folds["benchmark"] == set(BENCHMARK_WRITERS) and len(folds["tune"]) == 6


def test_unipen_folds_are_whole_collections():
    with np.load(shared_file("unipen-digits")) as z:
        providers = set(z["provider"].tolist())
    assert_partition({fold: set(UNIPEN_PROVIDERS[fold]) for fold in FOLDS}, providers)


def test_cvl_folds_are_whole_writers_and_its_validation_writers_the_benchmark():
    scans = load_cvl(shared_file("cvl"))
    folds = {fold: set(scans.writers[cvl_writers(fold, scans.writers, scans.split)].tolist())
             for fold in FOLDS}
    assert_partition(folds, set(scans.writers.tolist()))
    assert folds["benchmark"] == set(scans.writers[scans.split == "valid"].tolist())
    assert len(folds["tune"]) == 13


def test_quickdraw_folds_are_whole_categories():
    categories = load_quickdraw(shared_file("quickdraw")).category
    folds = {fold: set(categories[quickdraw_categories(fold, categories)].tolist())
             for fold in FOLDS}
    assert_partition(folds, set(categories.tolist()))


def test_letters_are_not_digits_and_the_digit_like_ones_are_kept_apart():
    shared_file("unipen-letters")
    letters, alike = (load_fold(name, "tune") for name in ("unipen-letters", "unipen-digit-like"))
    assert (letters.labels == NOT_A_DIGIT).all() and (alike.labels == NOT_A_DIGIT).all()
    alike_ones = {"O", "l", "S", "q"}
    assert alike_ones <= set(alike.names) and not alike_ones & set(letters.names)
    assert {"A", "x", "#"} <= set(letters.names)
    assert not set(letters.names) & set("0123456789")
    digits = load_fold("unipen-digits", "tune")
    assert np.array_equal(digits.labels, digits.names.astype(int))


def test_trajectories_on_the_app_canvas_are_the_app_drawing_and_ink_is_dark_on_paper():
    strokes = [(np.array([[0, 0], [10, 40], [20, 0]], np.float32),),
               (np.array([[0, 0], [0, 30]], np.float32), np.array([[-5, 10], [5, 10]], np.float32))]
    fold = Fold("test", "tune", np.array([7, 4]), np.array(["a", "b"]), np.array(["7", "4"]),
                Trajectories(strokes))
    np.testing.assert_array_equal(inputs(fold, TRAINING_STYLE, 3), render_all(strokes,
                                                                               TRAINING_STYLE, 3))
    page = next(fold.pages(TRAINING_INK, 0))
    assert fold.dark_ink(TRAINING_INK) and not fold.dark_ink(APP_STYLE)
    assert np.median(page) > 150 and page.min() < np.median(page) - 60  # dark ink, light paper
    on_paper = inputs(fold, TRAINING_INK, 0)
    assert on_paper.dtype == np.uint8 and on_paper.shape == (2, 28, 28)
    assert (on_paper.max(axis=(1, 2)) == 255).all() and (on_paper[:, 0, :] == 0).all()


def test_scans_of_paper_and_canvases_of_either_polarity_become_light_ink_on_black():
    paper = np.full((1, 28, 28), 240, np.uint8)
    paper[0, 6:22, 12:15] = 30  # a dark 1
    for drawn in (Scans(paper, dark_ink=True), Canvases([paper[0]]), Canvases([255 - paper[0]])):
        fold = Fold("test", "tune", np.array([1]), np.array(["w"]), np.array(["1"]), drawn)
        (image,) = inputs(fold, APP_STYLE, 0)
        assert image[14, 14] == 255 and image[0, 0] == 0


def test_weights_that_learned_a_folds_writers_or_collections_are_caught():
    def fold(source: str, groups: list[str]) -> Fold:
        none = np.zeros(len(groups), np.int64)
        return Fold(source, "benchmark", none, np.array(groups), none.astype(str),
                    Trajectories([()] * len(groups)))

    learned = [DataSource("pendigits", writers=(1, 2)), DataSource("cvl", writers=(7,)),
               DataSource("unipen-digits/apa"), DataSource("omniglot")]
    assert seen_groups(learned, fold("pendigits", ["2", "5"])) == ["2"]
    assert seen_groups(learned, fold("cvl", ["7", "8"])) == ["7"]
    assert seen_groups(learned, fold("unipen-letters", ["apa/x", "ced/y"])) == ["apa/x"]
    assert seen_groups(learned, fold("omniglot", ["test"])) == []
    assert seen_groups([DataSource("cvl")], fold("cvl", ["7", "8"])) == ["7", "8"]  # unlisted
    assert seen_groups([], fold("pendigits", ["5"])) == []


def test_every_source_loads_a_fold_of_labelled_drawings():
    shared_file("unipen-digits")
    for name in ("cvl", "quickdraw", "scribbles"):
        loaded = load_fold(name, "tune", Lookup())
        assert len(loaded) == len(loaded.groups) == len(loaded.names) == len(loaded.drawn) > 0
        assert (loaded.labels >= 0).all() == SOURCES[name].digits
    with pytest.raises(SourceError, match="unknown fold 'test'"):
        load_fold("cvl", "test")
    with pytest.raises(SourceError, match="unknown source 'usps'"):
        load_fold("usps", "tune")


def test_the_data_card_describes_every_registered_source():
    card = (Path(__file__).resolve().parents[2] / "docs" / "data.md").read_text()
    for name, source in SOURCES.items():
        assert f"(`{name}`)" in card, name
        if source.data:
            assert f"`{source.data.folder}/{source.data.file}`" in card
            assert f"${source.data.env_var}" in card
