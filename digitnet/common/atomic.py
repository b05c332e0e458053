"""Write files so that a crash never leaves a half-written one behind, nor replaces one unasked."""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: str | os.PathLike[str], write: Callable[[str], None], *,
                 replace: bool = True) -> Path:
    """Call write(tmp_path), fsync, then move it to `path` (same folder, so the move is atomic).

    replace=False never replaces an existing file: the finished file is hard-linked to `path`,
    which fails with FileExistsError if something is there, even if it appeared meanwhile.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # created by write() with the usual mode
    tmp = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def check_writable(folder: str | os.PathLike[str], need_bytes: int = 0) -> None:
    """Make `folder` if needed and check that a file can be written in it and that `need_bytes`
    are free, so that a bad output path fails before the slow work, not after it: OSError, whose
    strerror says why, otherwise."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, f"{folder} is a file, not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass
    free = shutil.disk_usage(folder).free
    if free < need_bytes:
        raise OSError(errno.ENOSPC, f"{free / 1e6:.1f} MB free, {need_bytes / 1e6:.1f} MB needed")


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    def write(tmp: str) -> None:
        Path(tmp).write_bytes(data)

    return atomic_write(path, write)
