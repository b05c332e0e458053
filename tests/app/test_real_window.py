"""The real window, under a private Xvfb, driven with xdotool the way a person drives it.

CI installs xvfb and xdotool; without them the tests that need them skip locally and fail in CI.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import queue
import re
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import REPO_ROOT, paper_video, require
from shapes import DIGITS

from digitnet.app.display import display_checked
from digitnet.app.window import STOP_WAIT_S
from digitnet.data.samples import SampleStore

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


@pytest.fixture(scope="module")
def display():
    server, name = start_xvfb()
    try:
        yield name
    finally:
        server.terminate()
        server.wait(10)


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

    def drag(self, image: tuple[int, ...], canvas: tuple[int, ...], points, steps: int = 8) -> None:
        """Press, move along `points` (canvas units) in small steps, release: one xdotool call.
        At each of the points the pointer rests a moment: on a busy machine the window system
        merges the moves an application has not yet taken, and a corner passed in one of
        them would be cut off (a 7 drawn as a slanted 1)."""
        def screen(u, v):
            return (image[0] + canvas[0] + round(u * canvas[2]),
                    image[1] + canvas[1] + round(v * canvas[3]))

        commands = ["mousemove", *screen(*points[0]), "mousedown", 1]
        for (u0, v0), (u1, v1) in zip(points, points[1:], strict=False):
            for i in range(1, steps + 1):
                commands += ["sleep", 0.02, "mousemove",
                             *screen(u0 + (u1 - u0) * i / steps, v0 + (v1 - v0) * i / steps)]
            commands += ["sleep", CORNER_REST_S]
        self.xdotool(*commands, "sleep", 0.05, "mouseup", 1)

    def finish(self) -> int:
        try:
            return self.process.wait(TIMEOUT_S)
        finally:
            self.process.kill()


@pytest.fixture(autouse=True)
def end_every_app():
    yield
    while App.running:
        process = App.running.pop().process
        process.kill()
        process.wait(TIMEOUT_S)


def layout(app: App, width: int, height: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The image and canvas rectangles of the app's layout line for a window of this size."""
    match = app.expect(rf"layout image=(?P<image>-?\d+,-?\d+,{width},{height}) "
                       r"canvas=(?P<canvas>\d+,\d+,\d+,\d+)")
    return tuple(map(int, match["image"].split(","))), tuple(map(int, match["canvas"].split(",")))


# a digit, or none: blank, or not a digit (then the line ends " rejected=yes": see below)
PREDICTION = r"prediction digit=(\d|none) confidence=[01]\.\d{3} latency_ms=\d+\.\d trigger="
NUMBER = r"( rejected=yes)? number=(\d+|none)"  # how every prediction line ends


def test_draw_classify_resize_clear_and_quit(display, tmp_path, untrained_weights):
    app = App(display, tmp_path / "samples", "--weights", untrained_weights, "--size", "960x600")
    image, canvas = layout(app, 960, 600)
    assert canvas[2] == canvas[3] > 300
    app.expect(r"ready model=simple load_ms=\d+")
    app.xdotool("windowfocus", app.window())  # keys go to the focused window

    app.drag(image, canvas, SEVEN)
    app.expect(PREDICTION + "live" + NUMBER)  # while the stroke was drawn
    app.expect(PREDICTION + r"mouseup" + NUMBER)
    app.xdotool("key", "s")
    app.expect(PREDICTION + "key" + NUMBER)

    app.xdotool("windowsize", app.window(), 360, 640)  # portrait: the layout follows
    image, canvas = layout(app, 360, 640)
    assert canvas[0] + canvas[2] <= 360 and canvas[2] == canvas[3]
    app.drag(image, canvas, [(0.5, 0.1), (0.5, 0.9)])
    app.expect(r"prediction digit=\d .*trigger=mouseup number=\d")
    app.xdotool("key", "z")
    app.expect("undo")
    app.xdotool("key", "c")
    app.expect("clear")
    app.expect(PREDICTION.replace(r"(\d|none)", "none") + "key number=none")
    app.xdotool("key", "Escape")
    app.expect("exit")
    start = time.monotonic()
    assert app.finish() == 0
    assert time.monotonic() - start < 1.0  # gone with its window: nothing to wait for
    assert app.process.stderr.read() == ""


def test_a_digit_key_saves_the_drawing_as_a_sample(display, tmp_path, untrained_weights):
    samples = tmp_path / "samples"
    app = App(display, samples, "--weights", untrained_weights, "--size", "800x600")
    image, canvas = layout(app, 800, 600)
    app.expect(r"ready .*")
    app.xdotool("windowfocus", app.window())
    app.drag(image, canvas, SEVEN)
    app.expect(PREDICTION + "mouseup" + NUMBER)
    app.xdotool("key", "3")
    path = Path(app.expect(r"sample digit=3 path=(.+)")[1])
    assert path.parent == samples and path.is_file()
    (sample,), _ = SampleStore(samples).load_all()
    assert sample.label == 3 and sample.path == path
    # saving cleared the canvas
    app.expect(PREDICTION.replace(r"(\d|none)", "none") + "key number=none")
    # one sample is too few: the real fine-tuning says so, in the background
    app.xdotool("key", "f")
    app.expect("finetune started")
    app.expect(r"finetune failed error=too few samples in .*: digit 3 has 1 \(4 more needed\).*")
    app.xdotool("key", "Escape")
    app.expect("exit")
    assert app.finish() == 0
    assert app.process.stderr.read() == ""


@pytest.mark.parametrize("flags, prediction", [
    ((), PREDICTION.replace(r"(\d|none)", "none") + r"mouseup rejected=yes number=none"),
    (("--no-reject",), PREDICTION.replace(r"(\d|none)", r"\d") + r"mouseup number=\d"),
], ids=["default", "no-reject"])
def test_a_click_is_a_speck_not_a_digit_unless_rejection_is_off(display, tmp_path,
                                                                 untrained_weights, flags,
                                                                 prediction):
    app = App(display, tmp_path / "samples", "--weights", untrained_weights, "--size", "800x600",
              *flags)
    image, canvas = layout(app, 800, 600)
    app.expect(r"ready .*")
    app.drag(image, canvas, [(0.4, 0.6)])  # press and release in one place: a dot
    match = app.expect(PREDICTION + r"mouseup.*")
    assert re.fullmatch(prediction, match[0]), match[0]
    app.xdotool("windowfocus", app.window())
    app.xdotool("key", "Escape")
    app.expect("exit")
    assert app.finish() == 0 and app.process.stderr.read() == ""


def in_slot(points, slot: int, slots: int):
    """A digit's points (drawn on the whole canvas), moved into one of `slots` side by side."""
    width = 0.9 / slots
    return [(0.05 + (slot + (u - 0.2) / 0.6) * width, 0.5 + (v - 0.5) * min(1.0, 2.4 * width))
            for u, v in points]


# a 1 with a flag, a 7, a 0: one stroke each, plainly drawn
ONE, ZERO = DIGITS[1][0], DIGITS[0][0]


def test_a_number_drawn_digit_by_digit_is_read_as_a_number(display, tmp_path):
    """With the shipped model: a plainly drawn 1, 7 and 0 read as 170."""
    samples = tmp_path / "samples"
    app = App(display, samples, "--size", "960x600")
    image, canvas = layout(app, 960, 600)
    app.expect(r"ready .*")
    app.xdotool("windowfocus", app.window())
    numbers = []
    for slot, digit in enumerate([ONE, SEVEN, ZERO]):
        app.drag(image, canvas, in_slot(digit, slot, 3))
        match = app.expect(PREDICTION + "mouseup" + NUMBER)
        numbers.append(match[3])
    assert re.fullmatch(r"prediction digit=none .* number=170", app.seen[-1]), app.seen[-1]
    assert numbers == ["1", "17", "170"], app.seen
    app.xdotool("key", "1")  # a number is not saved as a sample of a digit
    app.xdotool("key", "z")
    app.expect("undo")
    assert "sample refused reason=not saved: draw one digit to save a sample" in app.seen
    assert not any(line.startswith("sample digit") for line in app.seen) and not samples.exists()
    app.xdotool("key", "Escape")
    app.expect("exit")
    assert app.finish() == 0 and app.process.stderr.read() == ""


FOUR = DIGITS[4]  # two strokes
POINT_GAP_S = 0.01  # a mouse reports a point about every 10 ms
STROKE_S = 0.4  # a stroke at a person's pace


def paced_stroke(app: App, image, canvas, points) -> int:
    """One stroke in one xdotool call at a person's pace: a point every POINT_GAP_S, evenly
    along it, nowhere resting. Returns the points sent."""
    corners = np.array(points, np.float64)
    along = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(corners, axis=0), axis=1))])
    ticks = np.linspace(0, along[-1], round(STROKE_S / POINT_GAP_S))
    path = [(image[0] + canvas[0] + round(np.interp(t, along, corners[:, 0]) * canvas[2]),
             image[1] + canvas[1] + round(np.interp(t, along, corners[:, 1]) * canvas[3]))
            for t in ticks]
    commands = ["mousemove", *path[0], "mousedown", 1]
    for x, y in path[1:]:
        commands += ["sleep", POINT_GAP_S, "mousemove", x, y]
    app.xdotool(*commands, "mouseup", 1)
    return len(path)


def test_at_a_persons_pace_beside_a_busy_core_no_stroke_key_or_reading_is_lost(display,
                                                                                tmp_path):
    """With the shipped model and another process keeping a core busy: digits drawn at a
    person's pace, C pressed as soon as each is read and the next begun at once, then six quick
    bracket presses. Every digit reads right, every stroke keeps its points, every key counts."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        app = App(display, tmp_path / "samples", "--size", "960x600")
        image, canvas = layout(app, 960, 600)
        app.expect(r"ready .*")
        app.xdotool("windowfocus", app.window())
        for digit, strokes in [("1", [ONE]), ("7", [SEVEN]), ("0", [ZERO]), ("4", FOUR)]:
            for stroke in strokes:
                sent = paced_stroke(app, image, canvas, stroke)
                kept = int(app.expect(r"stroke points=(\d+)")[1])
                assert kept >= 0.8 * sent, f"{kept} of {sent} points kept"
            reading = app.settled(PREDICTION + "mouseup" + NUMBER, PREDICTION + ".*")
            assert reading[1] == digit, app.seen
            app.xdotool("key", "c")
            app.expect("clear")
        app.xdotool("key", *["bracketright"] * 3, *["bracketleft"] * 3)
        for _ in range(6):
            app.expect(r"brush size=.*")
        app.xdotool("key", "Escape")
        app.expect("exit")
        assert app.finish() == 0 and app.process.stderr.read() == ""
    finally:
        busy.kill()
        busy.wait()


def test_a_video_played_as_a_camera_is_read_steadily_and_d_switches_to_drawing(display,
                                                                              tmp_path):
    """With the shipped model: a number on paper, shaking a little, looped."""
    video = paper_video(tmp_path / "number.mp4", frames=45)
    app = App(display, tmp_path / "samples", "--camera", video, "--loop", "--size", "800x600")
    image, canvas = layout(app, 800, 600)
    app.expect(r"ready .*")
    app.expect(PREDICTION + "camera" + NUMBER)
    app.expect(r"steady number=170")
    app.expect(r"camera fps=\d+")
    app.xdotool("key", "--window", app.window(), "d")
    app.expect("view drawing")
    app.drag(image, canvas, SEVEN)
    app.expect(PREDICTION + "mouseup" + NUMBER)
    app.xdotool("key", "--window", app.window(), "Escape")
    app.expect("exit")
    assert app.finish() == 0 and app.process.stderr.read() == ""


def test_a_file_that_is_not_a_video_is_one_error_line_and_exit_2(display, tmp_path):
    fake = tmp_path / "holiday.mp4"
    fake.write_text("not a video")
    app = App(display, tmp_path / "samples", "--camera", fake)
    assert app.finish() == 2
    assert app.process.stderr.read() == f"error: {fake}: not a video file (OpenCV could not " \
                                        "open it)\n"


def send_wm_delete(display: str, window: int) -> None:
    """What a window manager sends when the user clicks the close button (Xvfb has none)."""
    x11 = ctypes.cdll.LoadLibrary(ctypes.util.find_library("X11") or "libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
                               ctypes.c_void_p]
    x11.XFlush.argtypes = x11.XCloseDisplay.argtypes = [ctypes.c_void_p]

    class ClientMessage(ctypes.Structure):  # XClientMessageEvent, padded to sizeof(XEvent)
        _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong),
                    ("send_event", ctypes.c_int), ("display", ctypes.c_void_p),
                    ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                    ("format", ctypes.c_int), ("data", ctypes.c_long * 5),
                    ("pad", ctypes.c_long * 12)]

    connection = x11.XOpenDisplay(display.encode())
    assert connection, f"cannot open {display}"
    event = ClientMessage(type=33, window=window, format=32,  # 33: ClientMessage
                          message_type=x11.XInternAtom(connection, b"WM_PROTOCOLS", 0))
    event.data[0] = x11.XInternAtom(connection, b"WM_DELETE_WINDOW", 0)
    x11.XSendEvent(connection, window, 0, 0, ctypes.byref(event))
    x11.XFlush(connection)
    x11.XCloseDisplay(connection)


def test_the_close_button_exits_cleanly(display, tmp_path, untrained_weights):
    app = App(display, tmp_path / "samples", "--weights", untrained_weights, "--size", "480x360")
    app.expect(r"ready .*")
    send_wm_delete(display, int(app.window()))
    app.expect("exit")
    assert app.finish() == 0


@pytest.mark.parametrize("content, message", [(None, "not found"),
                                              (b"not torch", "not a readable weights file")])
def test_bad_weights_are_one_error_line_and_exit_2(display, tmp_path, content, message):
    weights = tmp_path / "bad.pt"
    if content is not None:
        weights.write_bytes(content)
    app = App(display, tmp_path / "samples", "--weights", weights)
    assert app.finish() == 2
    stderr = app.process.stderr.read()
    assert re.fullmatch(rf"error: {re.escape(str(weights))}: .*{message}.*\n", stderr), stderr


@pytest.mark.parametrize("set_display", [False, True], ids=["unset", "unserved"])
def test_without_a_display_one_clear_line_and_exit_2(tmp_path, untrained_weights, set_display):
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    if set_display:  # a display number nobody serves
        env["DISPLAY"] = next(f":{n}" for n in range(99, 200)
                              if not Path(f"/tmp/.X11-unix/X{n}").exists())
    result = subprocess.run([sys.executable, str(APP), "--weights", str(untrained_weights),
                             "--samples", str(tmp_path / "samples")],
                            env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and "xvfb-run" in line
    assert ("not set" if not set_display else "cannot connect") in line
    assert line.endswith("; to run without a screen, use a virtual one: "
                         "xvfb-run -a python realtime_opencv.py")  # as it was started


def test_the_window_is_up_before_the_model_and_what_is_drawn_meanwhile_is_read(
        display, tmp_path, untrained_weights):
    """torch's import is held back until the test says so: the window must not need it."""
    gate = tmp_path / "torch-may-load"
    app = App(display, tmp_path / "samples", "--weights", untrained_weights, "--size", "800x600",
              env=held_imports(tmp_path / "site", {"torch": gate}))
    image, canvas = layout(app, 800, 600)  # the first frame: no torch yet
    app.xdotool("windowfocus", app.window())
    app.drag(image, canvas, SEVEN)
    app.drag(image, canvas, [(0.2, 0.5), (0.8, 0.5)])
    app.xdotool("key", "z")  # X events come in order: once this is logged, so are the strokes
    app.expect("undo")
    gate.touch()
    app.expect(r"ready model=simple load_ms=\d+")
    app.expect(PREDICTION.replace(r"(\d|none)", r"\d") + r"model number=\d")  # the seven, at once
    assert not any(line.startswith("prediction") for line in app.seen[:-1])  # and not before
    app.xdotool("key", "Escape")
    app.expect("exit")
    assert app.finish() == 0 and app.process.stderr.read() == ""


def wildcard_cookie_file(path: Path) -> Path:
    """An Xauthority file with one MIT-MAGIC-COOKIE-1 for any host and display (family Wild)."""
    def field(data: bytes) -> bytes:
        return struct.pack(">H", len(data)) + data

    entry = (struct.pack(">H", 0xFFFF) + field(b"") + field(b"") + field(b"MIT-MAGIC-COOKIE-1")
             + field(secrets.token_bytes(16)))
    path.write_bytes(entry)
    return path


def test_an_x_server_that_refuses_authorization_is_one_line_not_an_abort(tmp_path,
                                                                         untrained_weights):
    cookie = wildcard_cookie_file(tmp_path / "cookie")
    server, display = start_xvfb("-auth", str(cookie))
    try:
        env = {k: v for k, v in os.environ.items() if k != "XAUTHORITY"}
        env.update(DISPLAY=display, HOME=str(tmp_path))  # no ~/.Xauthority either
        result = subprocess.run([sys.executable, str(APP), "--weights", str(untrained_weights),
                                 "--samples", str(tmp_path / "samples")],
                                env=env, cwd=REPO_ROOT, capture_output=True, text=True,
                                timeout=TIMEOUT_S)
        assert result.returncode == 2 and result.stdout == ""  # Qt's abort was 134
        (line,) = result.stderr.splitlines()
        assert re.fullmatch(rf"error: X display '{display}' refused the connection "
                            r"\(Authorization required.*\): .*XAUTHORITY.*xvfb-run.*", line), line
        # the same server, with the cookie: it was the authorization that failed
        app = App(display, tmp_path / "samples", "--weights", untrained_weights,
                  env={"XAUTHORITY": str(cookie)})
        app.expect(r"ready .*")
        app.xdotool("key", "--window", app.window(), "Escape")
        app.expect("exit")
        assert app.finish() == 0
    finally:
        server.terminate()
        server.wait(10)


def test_a_window_larger_than_the_screen_is_made_to_fit(display, tmp_path, untrained_weights):
    app = App(display, tmp_path / "samples", "--weights", untrained_weights,
              "--size", "100000x100000")
    width, height = 0, 0
    while width == 0:  # the first lines may come before the window has its size
        match = app.expect(r"layout image=-?\d+,-?\d+,(\d+),(\d+) canvas=.*")
        width, height = int(match[1]), int(match[2])
    assert 0 < width <= SCREEN[0] and 0 < height <= SCREEN[1]
    app.expect(r"ready .*")
    app.xdotool("key", "--window", app.window(), "Escape")
    app.expect("exit")
    assert app.finish() == 0
    assert re.fullmatch(r"note: --size 100000x100000 is outside the sizes the app supports "
                        r"\(320x240 to the screen's size\); the window is \d+x\d+\n",
                        app.process.stderr.read())


def test_a_closed_pipe_ends_the_app_quietly(display, tmp_path, untrained_weights):
    """`realtime_opencv.py -v | head -1`."""
    process = subprocess.Popen([sys.executable, str(APP), "-v", "--weights", str(untrained_weights),
                                "--samples", str(tmp_path / "samples")],
                               env={**os.environ, "DISPLAY": display}, cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline()
        process.stdout.close()  # what head does after one line; `ready` comes next at the latest
        assert process.wait(TIMEOUT_S) == 0
        assert first.startswith("layout ") and process.stderr.read() == ""
    finally:
        process.kill()


def start_a_fine_tune_that_will_not_stop(display: str, tmp_path: Path, weights: Path) -> App:
    """The app, with a fine-tuning run that is busy for a minute (its import is held back)."""
    app = App(display, tmp_path / "samples", "--weights", weights, "--size", "480x360",
              env=held_imports(tmp_path / "site", {"digitnet.train.finetune": tmp_path / "never"}))
    app.expect(r"ready .*")
    app.xdotool("key", "--window", app.window(), "f")
    app.expect("finetune started")
    return app


def test_escape_during_a_fine_tune_that_will_not_stop_exits_without_waiting_for_it(
        display, tmp_path, untrained_weights):
    app = start_a_fine_tune_that_will_not_stop(display, tmp_path, untrained_weights)
    start = time.monotonic()
    app.xdotool("key", "--window", app.window(), "Escape")
    app.expect("finetune stopping")
    app.expect("exit")
    assert app.finish() == 0 and app.process.stderr.read() == ""
    assert time.monotonic() - start < STOP_WAIT_S + 10  # not the minute the run would take


def test_ctrl_c_twice_while_a_fine_tune_stops_exits_at_once_and_cleanly(display, tmp_path,
                                                                        untrained_weights):
    app = start_a_fine_tune_that_will_not_stop(display, tmp_path, untrained_weights)
    app.process.send_signal(signal.SIGINT)  # the window closes; the app waits for the run...
    time.sleep(0.2)
    start = time.monotonic()
    app.process.send_signal(signal.SIGINT)  # ...and no longer
    assert app.finish() == 130  # Python's own exit with the thread running aborted: 134
    assert time.monotonic() - start < STOP_WAIT_S + 10
    assert app.process.stderr.read() == "interrupted\n"


def test_escape_during_a_real_fine_tune_stops_it_promptly(display, tmp_path, untrained_weights,
                                                          mnist_dir):
    store = SampleStore(tmp_path / "samples")
    for _ in range(5):
        store.save([np.array(SEVEN, np.float32)], np.zeros((28, 28), np.float32), 7,
                   canvas_size=(400, 400))
    app = App(display, store.folder, "--weights", untrained_weights, "--size", "480x360",
              "--data-dir", mnist_dir, env={"HOME": str(tmp_path)})  # fine-tuned weights go here
    app.expect(r"ready .*")
    app.xdotool("key", "--window", app.window(), "f")
    app.expect("finetune started")
    time.sleep(1.0)  # well into it: loading MNIST, measuring, training
    start = time.monotonic()
    app.xdotool("key", "--window", app.window(), "Escape")
    app.expect("finetune stopping")
    assert app.finish() == 0 and app.process.stderr.read() == ""
    assert time.monotonic() - start < STOP_WAIT_S + 10
    assert not any(line.startswith("finetune done") for line in app.seen)
    assert not list(tmp_path.rglob("finetuned-*.pt"))  # stopped: nothing written


def test_the_display_check_reads_the_screen_and_survives_the_server_resetting(display):
    """An X server resets itself when its last client leaves, and refuses connections for a
    moment: each check here is that last client, and the next one must still get in."""
    for _ in range(25):  # without the retries in display.py, about one in 30 is refused
        with display_checked(display, "digitnet app") as screen:
            assert screen == SCREEN
