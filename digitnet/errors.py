"""The error boundary every entry point (CLI and app) runs inside.

A DigitnetError is a user error: one line and exit 2. Anything else is unexpected: one
line naming what failed and where, exit 1, and the full traceback with --debug or
DIGITNET_DEBUG=1. A closed pipe (`... | head -1`) ends quietly.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Callable

from digitnet import DigitnetError

DEBUG_ENV_VAR = "DIGITNET_DEBUG"


def debug_requested(flag: bool = False) -> bool:
    return flag or os.environ.get(DEBUG_ENV_VAR, "") not in ("", "0")


def run_entry_point(command: Callable[[], int], debug: bool = False) -> int:
    """Run an entry point's body; return the process's exit code."""
    try:
        return command()
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
            where = traceback.extract_tb(e.__traceback__)[-1]
            print(f"error: unexpected {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
                  f" (in {os.path.basename(where.filename)}:{where.lineno}; --debug or {DEBUG_ENV_VAR}=1 "
                  "shows the traceback)", file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so Python's exit flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
