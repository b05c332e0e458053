"""The real window's ways out and what goes wrong around it: the close button, bad weights, no
display or a refused one, a window larger than the screen, a closed pipe, exiting during a
fine-tune.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import secrets
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import REPO_ROOT
from window_driver import (
    APP,
    PREDICTION,
    SCREEN,
    SEVEN,
    TIMEOUT_S,
    App,
    held_imports,
    layout,
    start_xvfb,
)

from digitnet.app.display import display_checked
from digitnet.app.window import STOP_WAIT_S
from digitnet.data.samples import SampleStore

pytestmark = pytest.mark.usefixtures("end_every_app")


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
