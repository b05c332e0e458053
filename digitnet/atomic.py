"""Write files so that a crash never leaves a half-written one behind, nor replaces one unasked."""

from __future__ import annotations

import os
import secrets
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


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    def write(tmp: str) -> None:
        Path(tmp).write_bytes(data)

    return atomic_write(path, write)
