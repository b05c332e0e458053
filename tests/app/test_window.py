"""The app's command line and display checks, before any window: sizes, folders, weights,
--no-reject, and a display that is missing or unreachable."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from helpers import with_reject_threshold

from digitnet import DigitnetError
from digitnet.app.display import DisplayError, display_checked
from digitnet.app.window import (
    MAX_SIZE,
    build_parser,
    fit_screen,
    parse_folder,
    parse_size,
    weights_file,
    window_size,
)
from digitnet.app.workers import load_classifier


def test_a_missing_unreachable_or_malformed_display_is_one_clear_error():
    def problem(display):
        with pytest.raises(DisplayError) as error, display_checked(display, "digitnet app"):
            pass
        assert str(error.value).endswith("; to run without a screen, use a virtual one: "
                                         "xvfb-run -a digitnet app")
        return str(error.value)

    assert "not set" in problem(None)
    assert "form" in problem("nonsense")
    unserved = next(n for n in range(700, 800) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    assert "cannot connect" in problem(f":{unserved}")
    with socket.socket() as probe:  # a TCP port that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert "cannot connect" in problem(f"127.0.0.1:{port - 6000}")


def test_window_sizes_parse_and_are_capped_to_the_screen():
    assert parse_size("800x600") == (800, 600) and parse_size("640X480") == (640, 480)
    for bad in ["800", "axb", "0x600", "800x600x3"]:
        with pytest.raises(Exception, match="WIDTHxHEIGHT|positive"):
            parse_size(bad)
    assert fit_screen((100000, 100000), (1600, 1000)) == (1600, 1000)
    assert fit_screen((800, 5000), (1600, 1000)) == (800, 1000)
    assert fit_screen((100000, 300), None) == (MAX_SIZE[0], 300)  # no X server to ask


def test_a_window_size_outside_what_works_is_changed_and_said(capsys):
    assert window_size((800, 600), (1600, 1000)) == (800, 600) and capsys.readouterr().err == ""
    assert window_size((100, 80), (1600, 1000)) == (320, 240)
    assert capsys.readouterr().err == ("note: --size 100x80 is outside the sizes the app "
                                       "supports (320x240 to the screen's size); the window is "
                                       "320x240\n")
    assert window_size((100, 5000), (1600, 1000)) == (320, 1000)
    assert capsys.readouterr().err.endswith("the window is 320x1000\n")


def test_folders_parse(tmp_path):
    assert parse_folder(str(tmp_path / "new")) == tmp_path / "new"  # made when needed
    (tmp_path / "file").write_text("")
    with pytest.raises(Exception, match="not a folder"):
        parse_folder(str(tmp_path / "file"))


def test_a_missing_weights_file_is_reported_before_any_window(tmp_path):
    from argparse import Namespace

    with pytest.raises(DigitnetError, match="not found"):
        weights_file(Namespace(model=None, weights=tmp_path / "missing.pt"))
    assert weights_file(Namespace(model=None, weights=None)) is None  # the best shipped one
    shipped = weights_file(Namespace(model="simple", weights=None))
    assert shipped is not None and shipped.name == "simple.pt" and shipped.is_file()


def test_no_reject_loads_the_model_without_its_threshold(tmp_path, shipped_weights):
    assert build_parser().parse_args([]).reject is True
    assert build_parser().parse_args(["--no-reject"]).reject is False
    weights = with_reject_threshold(shipped_weights, 0.8, tmp_path / "strict.pt")
    assert load_classifier(weights).threshold == 0.8
    assert load_classifier(weights, reject=False).threshold is None
