"""The app in a real window, driven from outside as a person drives it, for bench/app_speed.py.

XClient is a second connection to the X server: it sends key presses and mouse moves through
XTest and reads the screen back. RunningApp runs realtime_opencv.py -v in a subprocess and
timestamps its log lines as they arrive; `started` waits for it to be ready at the default
window size and says where its canvas is on the screen.
"""

from __future__ import annotations

import ctypes
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "realtime_opencv.py"
WINDOW_SIZE = (1024, 640)  # the real window: the app's default, its canvas APP_STYLE's 492 px


class XClient:
    """A second connection to the X server: sends input through XTest, as a person's devices
    would, and reads back what is on the screen."""

    def __init__(self, display: str):
        x11 = ctypes.cdll.LoadLibrary("libX11.so.6")
        self.xtst = ctypes.cdll.LoadLibrary("libXtst.so.6")
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XDefaultRootWindow.restype = ctypes.c_ulong
        x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x11.XGetImage.restype = ctypes.c_void_p
        x11.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                                  ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
        x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        x11.XStringToKeysym.restype = ctypes.c_ulong
        x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                                ctypes.c_ulong]
        self.xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                                   ctypes.c_int, ctypes.c_ulong]
        self.xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                                   ctypes.c_ulong]
        self.x11 = x11
        self.connection = x11.XOpenDisplay(display.encode())
        if not self.connection:
            raise SystemExit(f"error: cannot open display {display}")
        self.root = x11.XDefaultRootWindow(self.connection)

    def key(self, keysym: str) -> None:
        code = self.x11.XKeysymToKeycode(self.connection,
                                         self.x11.XStringToKeysym(keysym.encode()))
        self.xtst.XTestFakeKeyEvent(self.connection, code, 1, 0)
        self.xtst.XTestFakeKeyEvent(self.connection, code, 0, 0)
        self.x11.XSync(self.connection, 0)

    def move(self, x: int, y: int) -> None:
        self.xtst.XTestFakeMotionEvent(self.connection, -1, x, y, 0)
        self.x11.XSync(self.connection, 0)

    def button(self, down: bool) -> None:
        self.xtst.XTestFakeButtonEvent(self.connection, 1, int(down), 0)
        self.x11.XSync(self.connection, 0)

    def grab(self, x: int, y: int, w: int, h: int) -> bytes:
        """The screen's pixels in a rectangle (as the server holds them: what is on show)."""
        image = self.x11.XGetImage(self.connection, self.root, x, y, w, h, 0xFFFFFFFF, 2)
        if not image:
            raise SystemExit("error: cannot read the screen back")
        # XImage: width, height, xoffset, format, data (char*), ..., bytes_per_line at 44
        fields = ctypes.cast(image, ctypes.POINTER(ctypes.c_int))
        data = ctypes.cast(image, ctypes.POINTER(ctypes.c_void_p))[2]
        bytes_per_line = fields[11]
        pixels = ctypes.string_at(data, bytes_per_line * h)
        destroy = ctypes.cast(image, ctypes.POINTER(ctypes.c_void_p))[12]  # f.destroy_image
        ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)(destroy)(image)
        return pixels

    def wait_change(self, region: tuple[int, int, int, int], before: bytes,
                    timeout: float = 2.0) -> float:
        """Seconds until the region shows something other than `before` (nan: it never did)."""
        start = time.perf_counter()
        while (elapsed := time.perf_counter() - start) < timeout:
            if self.grab(*region) != before:
                return elapsed
            time.sleep(0.0005)
        return float("nan")


class RunningApp:
    """realtime_opencv.py -v in a subprocess, its log lines timestamped as they arrive."""

    script = APP  # --app: another checkout's, to compare

    def __init__(self, args: list[str]):
        self.start = time.perf_counter()
        env = {**os.environ, "PYTHONPATH": str(self.script.parent)}  # its own package
        self.process = subprocess.Popen([sys.executable, str(self.script), "-v", *args],
                                        stdout=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue[tuple[float, str] | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put((time.perf_counter(), line.rstrip("\n")))
        self.lines.put(None)

    def expect(self, pattern: str, timeout: float = 60.0) -> tuple[float, re.Match]:
        """The next line matching `pattern` and when it arrived."""
        deadline = time.perf_counter() + timeout
        while (left := deadline - time.perf_counter()) > 0:
            try:
                item = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if item is None:
                raise SystemExit(f"error: the app ended before {pattern!r}: {self.seen[-5:]}")
            self.seen.append(item[1])
            if match := re.fullmatch(pattern, item[1]):
                return item[0], match
        raise SystemExit(f"error: the app never logged {pattern!r}; last: {self.seen[-5:]}")

    def drain(self) -> list[str]:
        """The lines logged so far and not yet taken."""
        lines: list[str] = []
        while True:
            try:
                item = self.lines.get_nowait()
            except queue.Empty:
                return lines
            if item is not None:
                self.seen.append(item[1])
                lines.append(item[1])

    def settled_digit(self, quiet_s: float = 0.3) -> str:
        """The digit of the reading on show once the app has read the drawing after its last
        stroke and gone quiet ('none': not a digit)."""
        _, match = self.expect(r"prediction digit=(\d|none) .*trigger=mouseup.*")
        digit = match[1]
        while True:
            try:
                item = self.lines.get(timeout=quiet_s)
            except queue.Empty:
                return digit
            if item is not None:
                self.seen.append(item[1])
                if found := re.fullmatch(r"prediction digit=(\d|none) .*", item[1]):
                    digit = found[1]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait()


Rects = tuple[tuple[int, int, int, int], tuple[int, int, int, int]]


def started(weights: list[str]) -> tuple[RunningApp, Rects]:
    """The app at the default window size, ready: (app, (image, canvas) rectangles on screen)."""
    app = RunningApp([*weights, "--size", "x".join(map(str, WINDOW_SIZE))])
    _, match = app.expect(r"layout image=(-?\d+),(-?\d+),(\d+),(\d+) "
                          r"canvas=(\d+),(\d+),(\d+),(\d+)")
    values = tuple(map(int, match.groups()))
    app.expect(r"ready .*")
    time.sleep(0.5)
    return app, (values[:4], values[4:])  # type: ignore[return-value]


def on_screen(rects: Rects, u: float, v: float) -> tuple[int, int]:
    image, canvas = rects
    return (image[0] + canvas[0] + round(u * canvas[2]),
            image[1] + canvas[1] + round(v * canvas[3]))
