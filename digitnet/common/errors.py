"""The error boundary every entry point (CLI, app, benchmarks) runs inside.

A DigitnetError is a user error: one line and exit 2. An OSError about a file (permission
denied, disk full) is one line naming the file, exit 1. Anything else is unexpected: one line
naming the exception and the innermost digitnet line it passed through, exit 1, and the full
traceback with --debug or DIGITNET_DEBUG=1. A closed pipe (`... | head -1`) ends quietly.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from digitnet import DigitnetError

DEBUG_ENV_VAR = "DIGITNET_DEBUG"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # digitnet/, above common/


def debug_requested(flag: bool = False) -> bool:
    """--debug was given, or DIGITNET_DEBUG is set to anything but empty or 0."""
    return flag or os.environ.get(DEBUG_ENV_VAR, "") not in ("", "0")


def run_entry_point(command: Callable[[], int], debug: bool = False) -> int:
    """Run an entry point's body; return the process's exit code. Never raises but SystemExit."""
    try:
        code = command()
        sys.stdout.flush()  # a closed pipe shows here, inside the boundary, not at exit
        return code
    except DigitnetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except Exception as e:
        if debug_requested(debug):
            traceback.print_exc()
        else:
            print(f"error: {describe_unexpected(e)}", file=sys.stderr)
        return 1


def describe_unexpected(error: BaseException) -> str:
    """One line: what failed and where, and how to see more."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror}"
    text = str(error).strip()
    message = f": {text.splitlines()[0][:300]}" if text else ""
    return (f"unexpected {type(error).__name__}{message} (in {_where(error)}; "
            f"--debug or {DEBUG_ENV_VAR}=1 shows the traceback)")


def _where(error: BaseException) -> str:
    """file:line of the innermost frame in digitnet's own code, else of the innermost frame.

    The outermost frame is the one that caught the error (this boundary): it says nothing.
    """
    caught = traceback.extract_tb(error.__traceback__)
    frames = caught[1:] or caught
    if not frames:
        return "unknown place"
    own = [f for f in frames if Path(f.filename).resolve().is_relative_to(PACKAGE_DIR)]
    frame = (own or frames)[-1]
    return f"{Path(frame.filename).name}:{frame.lineno}"


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so Python's exit flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
