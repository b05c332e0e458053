"""The one check every command makes of its output folder before the slow work."""

from __future__ import annotations

import os
import shutil

import pytest

from digitnet.common.atomic import check_writable


def test_a_new_folder_is_made_and_left_empty(tmp_path):
    folder = tmp_path / "a" / "b"
    check_writable(folder, need_bytes=1)
    assert folder.is_dir() and list(folder.iterdir()) == []


@pytest.mark.parametrize("where, message", [
    ("file", "is a file, not a folder"),
    ("file/sub", "Not a directory"),
])
def test_a_folder_that_is_or_lies_under_a_file_is_refused(tmp_path, where, message):
    """Unlike a read-only folder, this fails for root too."""
    (tmp_path / "file").write_text("mine")
    with pytest.raises(OSError) as error:
        check_writable(tmp_path / where)
    assert message in str(error.value.strerror)
    assert (tmp_path / "file").read_text() == "mine"


def test_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    try:
        if os.access(folder, os.W_OK):  # root writes anywhere: the file case above covers it
            pytest.skip("running as root: permissions do not stop writes")
        with pytest.raises(PermissionError):
            check_writable(folder)
    finally:
        folder.chmod(0o700)


def test_too_little_free_space_is_refused_saying_how_much(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(1, 1, 500_000))
    check_writable(tmp_path, need_bytes=500_000)
    with pytest.raises(OSError, match=r"0.5 MB free, 2.0 MB needed"):
        check_writable(tmp_path, need_bytes=2_000_000)
