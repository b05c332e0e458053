"""Can a window open here, and how big is the screen? Asked before any window is made.

Qt aborts the whole process (a core dump, exit code 134) when it cannot connect to the X
server or the server refuses it, so the app asks first: the server's socket for a
connection, then libxcb, the library Qt itself connects with, for the authorization and
the screen's size. On macOS and Windows Qt uses the system's own window server: nothing to ask.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import sys
import tempfile
import time
from collections.abc import Iterator

from digitnet import DigitnetError

XCB_LIBRARY = "libxcb.so.1"
XCB_CONN_ERROR, XCB_CONN_CLOSED_INVALID_SCREEN = 1, 6  # xcb_connection_has_error's codes
RESET_RETRIES, RESET_WAIT_S = 5, 0.05  # a server resetting itself refuses for a few milliseconds


class DisplayError(DigitnetError):
    """No window can open: the message says why, and how to run without a screen."""


@contextlib.contextmanager
def display_checked(display: str | None, command: str) -> Iterator[tuple[int, int] | None]:
    """Check that a window can open on `display`, and stay connected meanwhile; yields the
    screen's (width, height) in pixels, or None where there is no X server to ask (not Linux).

    Make the window inside the `with`: an X server with no clients left resets itself, and a
    client connecting during the reset (Qt, just after this check) is refused.
    Raises DisplayError, one line, when no window can open: why, and how to run `command`
    (the one the user typed: "digitnet app", "python realtime_opencv.py") without a screen.
    """
    if not sys.platform.startswith("linux"):
        yield None
        return
    try:
        xcb, connection, screen = _xcb_connected(display)
    except DisplayError as e:
        hint = f"to run without a screen, use a virtual one: xvfb-run -a {command}"
        raise DisplayError(f"{e}; {hint}") from None
    try:
        yield _screen_size(xcb, connection, screen)
    finally:
        xcb.xcb_disconnect(connection)


def _xcb_connected(display: str | None) -> tuple[ctypes.CDLL, int, int]:
    """Connect as Qt will: (libxcb, the connection, the screen's number), or DisplayError."""
    if not display:
        raise DisplayError("no display: $DISPLAY is not set")
    _connect(display)
    xcb = _xcb()
    connection, screen = _xcb_connect(xcb, display)
    return xcb, connection, screen


def _connect(display: str) -> None:
    """Connect to the X server's socket, or raise DisplayError: cheap, and it tells."""
    host, _, screen = display.rpartition(":")
    number = screen.split(".")[0]
    if not number.isdigit():
        raise DisplayError(f"cannot use display {display!r}: not of the form [host]:number")
    try:
        if host in ("", "unix"):
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(1.0)
                path = f"/tmp/.X11-unix/X{number}"
                try:
                    sock.connect(path)
                except OSError:
                    sock.connect("\0" + path)  # Linux X servers also listen on an abstract socket
        else:
            socket.create_connection((host, 6000 + int(number)), timeout=1.0).close()
    except OSError:
        raise DisplayError(f"cannot connect to X display {display!r}") from None


class _Screen(ctypes.Structure):  # the start of xcb_screen_t
    _fields_ = [("root", ctypes.c_uint32), ("default_colormap", ctypes.c_uint32),
                ("white_pixel", ctypes.c_uint32), ("black_pixel", ctypes.c_uint32),
                ("current_input_masks", ctypes.c_uint32),
                ("width_in_pixels", ctypes.c_uint16), ("height_in_pixels", ctypes.c_uint16)]


class _ScreenIterator(ctypes.Structure):  # xcb_screen_iterator_t
    _fields_ = [("data", ctypes.POINTER(_Screen)), ("rem", ctypes.c_int), ("index", ctypes.c_int)]


def _xcb() -> ctypes.CDLL:
    try:
        xcb = ctypes.CDLL(XCB_LIBRARY)
    except OSError:
        raise DisplayError(f"cannot open a window: {XCB_LIBRARY}, the X client library that Qt "
                           "needs, is missing (Debian, Ubuntu: apt-get install libxcb1)") from None
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_get_setup.restype = ctypes.c_void_p
    xcb.xcb_get_setup.argtypes = [ctypes.c_void_p]
    xcb.xcb_setup_roots_iterator.restype = _ScreenIterator
    xcb.xcb_setup_roots_iterator.argtypes = [ctypes.c_void_p]
    xcb.xcb_screen_next.argtypes = [ctypes.POINTER(_ScreenIterator)]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    return xcb


@contextlib.contextmanager
def _stderr_captured() -> Iterator[list[str]]:
    """Catch what C code writes to stderr (fd 2) meanwhile: the list holds it afterwards."""
    caught: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as file:
        os.dup2(file.fileno(), 2)
        try:
            yield caught
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            file.seek(0)
            caught.append(file.read().decode(errors="replace"))


def _xcb_connect(xcb: ctypes.CDLL, display: str) -> tuple[int, int]:
    """Connect as Qt will, authorization included: (the connection, the screen's number)."""
    number = ctypes.c_int(0)
    for _ in range(RESET_RETRIES + 1):
        with _stderr_captured() as said:  # libxcb writes the server's refusal there
            connection = xcb.xcb_connect(display.encode(), ctypes.byref(number))
        error = xcb.xcb_connection_has_error(connection)
        if not error:
            return connection, number.value
        xcb.xcb_disconnect(connection)
        reason = " ".join(said[0].split())
        if error != XCB_CONN_ERROR or reason:
            break
        time.sleep(RESET_WAIT_S)  # no reason given: the server may be resetting; ask again
    if error == XCB_CONN_CLOSED_INVALID_SCREEN:
        raise DisplayError(f"X display {display!r} has no screen {number.value}")
    if error == XCB_CONN_ERROR and reason:
        raise DisplayError(f"X display {display!r} refused the connection ({reason}): "
                           "is $XAUTHORITY set to the display's cookie file?")
    if error == XCB_CONN_ERROR:
        raise DisplayError(f"cannot connect to X display {display!r}")
    raise DisplayError(f"cannot open X display {display!r} (xcb error {error})")


def _screen_size(xcb: ctypes.CDLL, connection: int, number: int) -> tuple[int, int]:
    screens = xcb.xcb_setup_roots_iterator(xcb.xcb_get_setup(connection))
    for _ in range(number):
        xcb.xcb_screen_next(ctypes.byref(screens))
    screen = screens.data.contents
    return screen.width_in_pixels, screen.height_in_pixels
