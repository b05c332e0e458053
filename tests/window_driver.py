"""The app in a real window under a private Xvfb, driven the way a person drives it: the server,
the app's process and its log, xdotool. The real-window tests (tests/app/test_real_window*.py)
share it; their fixtures are in conftest.py.

CI installs xvfb and xdotool; without them the tests that need them skip locally and fail in CI.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from helpers import REPO_ROOT, require
from shapes import DIGITS

APP = REPO_ROOT / "realtime_opencv.py"
# for any one log line: the app starts in 1-3 s, far longer on a machine busy training
TIMEOUT_S = 60
CORNER_REST_S = 0.15  # the pointer rests this long at each corner of a drag (App.drag)
SEVEN = DIGITS[7][0]  # in canvas units
SCREEN = (1600, 1000)


def start_xvfb(*options: str) -> tuple[subprocess.Popen, str]:
    """A private X server on a free display number (Xvfb picks it, and says when it is ready)."""
    require(shutil.which("Xvfb") is not None and shutil.which("xdotool") is not None,
            "Xvfb and xdotool are needed: apt-get install xvfb xdotool")
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0",
                               f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp", *options],
                              pass_fds=[write], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as announced:  # the display number, once Xvfb accepts connections
        number = announced.readline().strip()
    if not number.isdigit():
        server.kill()
        pytest.fail("Xvfb did not start")
    return server, f":{number}"



HOLD_IMPORTS = """\
    # Test-only: importing a module named in $HOLD_IMPORTS ("module=gate-file;...") waits until
    # its gate file exists (at most a minute), as a slow disk or a busy machine would make it.
    import os, sys, time

    HOLD = dict(item.split("=", 1) for item in os.environ["HOLD_IMPORTS"].split(";"))


    class Hold:
        def find_spec(self, name, path=None, target=None):
            if name in HOLD:
                deadline = time.monotonic() + 60
                while not os.path.exists(HOLD[name]) and time.monotonic() < deadline:
                    time.sleep(0.02)
            return None


    sys.meta_path.insert(0, Hold())
"""


def held_imports(folder: Path, gates: dict[str, Path]) -> dict[str, str]:
    """Environment for an app whose imports of these modules wait for their gate files."""
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(textwrap.dedent(HOLD_IMPORTS))
    holds = ";".join(f"{module}={gate}" for module, gate in gates.items())
    return {"PYTHONPATH": str(folder), "HOLD_IMPORTS": holds}


class App:
    """realtime_opencv.py -v in a subprocess, its log read line by line with a timeout.

    Its samples folder is always a test's own: a test never touches the user's. Every app a
    test starts is ended after it (`end_every_app`), passed or failed: a window left open on
    the shared display would take the next test's keys.
    """

    running: list[App] = []

    def __init__(self, display: str, samples: Path, *args: object,
                 env: dict[str, str] | None = None):
        command = [sys.executable, str(APP), "-v", "--samples", str(samples), *map(str, args)]
        self.env = {**os.environ, "DISPLAY": display, **(env or {})}
        self.process = subprocess.Popen(command, env=self.env, cwd=REPO_ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        App.running.append(self)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # the app closed its output: it has ended

    def expect(self, pattern: str) -> re.Match:
        """The next log line matching `pattern` (skipping others); fails after TIMEOUT_S."""
        deadline = time.monotonic() + TIMEOUT_S
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                self.process.wait(TIMEOUT_S)
                assert self.process.stderr is not None
                pytest.fail(f"the app ended before {pattern!r}; it said {self.seen}, "
                            f"then {self.process.stderr.read()}")
            self.seen.append(line)
            if match := re.fullmatch(pattern, line):
                return match
        pytest.fail(f"no line matching {pattern!r}; the app said: {self.seen}")

    def settled(self, first: str, then: str, quiet_s: float = 0.3) -> re.Match:
        """The next line matching `first`, or the last one after it matching `then` before the
        log has been quiet for `quiet_s`: what is on show once the app has caught up."""
        match = self.expect(first)
        while True:
            try:
                line = self.lines.get(timeout=quiet_s)
            except queue.Empty:
                return match
            if line is None:
                pytest.fail(f"the app ended; it said {self.seen}")
            self.seen.append(line)
            match = re.fullmatch(then, line) or match

    def xdotool(self, *args: object) -> str:
        result = subprocess.run(["xdotool", *map(str, args)], env=self.env,
                                capture_output=True, text=True, timeout=TIMEOUT_S)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def window(self) -> str:
        """This app's window (by its process id: never another app's)."""
        return self.xdotool("search", "--pid", self.process.pid, "--name", "^digitnet$").split()[0]

    def stroke(self, start: tuple[int, int], moves: list[object]) -> None:
        """One stroke as a hand draws it, in one xdotool call: arrive at `start` (screen pixels)
        and rest a moment, press, run the xdotool `moves`, release, move on a pixel.

        Under Xvfb, with no window manager, a press sent the instant the pointer arrived was
        lost (once in about 100 runs beside busy cores; the window's only event was the
        arrival), and a release once, in CI. A hand rests before it presses and moves on after
        it lets go; the app ends a stroke whose release it missed at the next move without the
        button (AppState.on_mouse)."""
        self.xdotool("mousemove", *start, "sleep", CORNER_REST_S, "mousedown", 1, *moves,
                     "mouseup", 1, "sleep", 0.05, "mousemove_relative", 1, 1)

    def drag(self, image: tuple[int, ...], canvas: tuple[int, ...], points, steps: int = 8) -> None:
        """A stroke along `points` (canvas units) in small steps (see `stroke`). At each of the
        points the pointer rests a moment: on a busy machine the window system merges the
        moves an application has not yet taken, and a corner passed in one of them would be
        cut off (a 7 drawn as a slanted 1)."""
        def screen(u, v):
            return (image[0] + canvas[0] + round(u * canvas[2]),
                    image[1] + canvas[1] + round(v * canvas[3]))

        moves: list[object] = []
        for (u0, v0), (u1, v1) in zip(points, points[1:], strict=False):
            for i in range(1, steps + 1):
                moves += ["sleep", 0.02, "mousemove",
                          *screen(u0 + (u1 - u0) * i / steps, v0 + (v1 - v0) * i / steps)]
            moves += ["sleep", CORNER_REST_S]
        self.stroke(screen(*points[0]), [*moves, "sleep", 0.05])

    def finish(self) -> int:
        try:
            return self.process.wait(TIMEOUT_S)
        finally:
            self.process.kill()


def layout(app: App, width: int, height: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The image and canvas rectangles of the app's layout line for a window of this size."""
    match = app.expect(rf"layout image=(?P<image>-?\d+,-?\d+,{width},{height}) "
                       r"canvas=(?P<canvas>\d+,\d+,\d+,\d+)")
    return tuple(map(int, match["image"].split(","))), tuple(map(int, match["canvas"].split(",")))


# a digit, or none: blank, or not a digit (then the line ends " rejected=yes": see below)
PREDICTION = r"prediction digit=(\d|none) confidence=[01]\.\d{3} latency_ms=\d+\.\d trigger="
NUMBER = r"( rejected=yes)? number=(\d+|none)"  # how every prediction line ends
