"""Draw a digit or a number with the mouse and watch a CNN read it, live, in one OpenCV window.

    python realtime_opencv.py                      # the best shipped model (or: digitnet app)
    python realtime_opencv.py --model simple --size 800x600 -v
    python realtime_opencv.py --weights ~/.local/share/digitnet/weights/finetuned-….pt
    xvfb-run -a python realtime_opencv.py -v       # without a screen

Draw with the left button; releasing it classifies. A drawing that is not a digit (a letter,
a doodle, a speck) reads "?"; --no-reject always reads a digit. Fine-tuned weights go to the
per-user folder, and the next launch uses them only if --weights names them.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import cv2

from digitnet import DigitnetError
from digitnet.app.camera import CameraFeed
from digitnet.app.display import display_checked
from digitnet.app.frame import frame_layout, keys_help, render_frame
from digitnet.app.state import KEYS, AppState
from digitnet.app.workers import BackgroundFinetune, BackgroundLoad, ReadingWorker, load_classifier
from digitnet.common.argtypes import add_no_reject
from digitnet.common.box import Box
from digitnet.common.errors import run_entry_point
from digitnet.common.paths import default_samples_dir, weights_path
from digitnet.data.samples import SampleStore
from digitnet.model.registry import MODEL_NAMES

WINDOW = "digitnet"
WAIT_MS = 5  # the loop's wait for events: a mouse move is on screen about 3 ms sooner than at
# 10 ms, for about 1 % of a core more while idle (bench/app_speed.py; 3.5 -> 4.5 %)
FRAME_S = 1 / 60  # at most 60 frames a second: while a stroke is drawn, the loop takes the
# mouse's points between frames instead of drawing a frame for each, and keeps more of them
# (strokes at a person's pace beside a busy core: 319-320 of 320 points kept, 312-313 without)
DEFAULT_SIZE = (1024, 640)
MIN_SIZE = (320, 240)  # the smallest window every element is laid out legibly in
MAX_SIZE = (7680, 4320)  # where the screen's size is unknown (not X11), windows are capped to 8K
STOP_WAIT_S = 2.0  # on exit, how long a fine-tuning run asked to stop may take to end


def parse_size(text: str) -> tuple[int, int]:
    """'1280x720' -> (1280, 720)."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT, e.g. 1280x720, got {text!r}") from None
    if width < 1 or height < 1:
        raise argparse.ArgumentTypeError(f"window size must be positive, got {text!r}")
    return width, height


def parse_folder(text: str) -> Path:
    """A folder that exists, or one that can be made: anything but a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not a folder")
    return path


def key_help() -> str:
    """The keys for --help, one entry each, from the one key table (digitnet.app.state.KEYS)."""
    lines = ["keys:"]
    for binding in KEYS:
        lines += textwrap.wrap(binding.explains, 92, initial_indent=f"  {binding.key:<5}",
                               subsequent_indent=" " * 7)
    return "\n".join(lines)


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=f"{__doc__}\n{key_help()}",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--weights", type=Path,
                       help="weights file (default: the best shipped model)")
    which.add_argument("--model", choices=MODEL_NAMES,
                       help="use this shipped model's weights file")
    parser.add_argument("--size", type=parse_size, default=DEFAULT_SIZE, metavar="WxH",
                        help="initial window size, at most the screen's (default 1024x640)")
    parser.add_argument("--samples", type=parse_folder, metavar="DIR",
                        help="where 0-9 save samples and F learns from them "
                             "(default: $DIGITNET_SAMPLES or the per-user samples folder)")
    parser.add_argument("--data-dir", type=parse_folder, metavar="DIR",
                        help="MNIST, which F's fine-tuning mixes in "
                             "(default: $DIGITNET_DATA or the user cache)")
    parser.add_argument("--camera", nargs="?", const="0", metavar="INDEX|FILE",
                        help="read what a camera sees instead of a drawing: a camera's index "
                             "(default 0) or a video file, played at its own speed; D switches "
                             "between the camera and the drawing")
    parser.add_argument("--loop", action="store_true",
                        help="with --camera FILE: play the video again from its start at its end")
    add_no_reject(parser)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log each event to stdout, one line each")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an unexpected error")
    return parser


def weights_file(args: argparse.Namespace) -> Path | None:
    """The weights file asked for (None: the best shipped one), checked before any window."""
    path: Path | None = weights_path(args.model) if args.model else args.weights
    if path is not None and not path.is_file():
        raise DigitnetError(f"{path}: weights file not found")
    return path


def fit_screen(size: tuple[int, int], screen: tuple[int, int] | None) -> tuple[int, int]:
    """`size`, made no larger than the screen (MAX_SIZE where its size is unknown)."""
    limit = screen or MAX_SIZE
    return min(size[0], limit[0]), min(size[1], limit[1])


def window_size(asked: tuple[int, int], screen: tuple[int, int] | None) -> tuple[int, int]:
    """The --size asked for, at least MIN_SIZE (the layout's smallest) and at most the screen;
    a size changed is said in one line on stderr."""
    size = fit_screen((max(asked[0], MIN_SIZE[0]), max(asked[1], MIN_SIZE[1])), screen)
    if size != asked:
        most = "the screen's size" if screen else "{}x{}".format(*MAX_SIZE)
        print(f"note: --size {asked[0]}x{asked[1]} is outside the sizes the app supports "
              f"({MIN_SIZE[0]}x{MIN_SIZE[1]} to {most}); the window is {size[0]}x{size[1]}",
              file=sys.stderr)
    return size


def window_closed() -> bool:
    """The window's close button was pressed: the window is hidden or gone (Qt then raises)."""
    try:
        return cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1
    except cv2.error:
        return True


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """The app's entry point (realtime_opencv.py, `digitnet app`): the exit code, or once the
    window has been up, the end of the process with it."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.loop and args.camera is None:
        parser.error("--loop plays a video file again: give it with --camera FILE")
    # how the user started the app, for the no-display hint: the CLI passes its own name
    # ("digitnet app"); without one this is the script, which argparse names by its file
    command = prog or f"python {parser.prog}"
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # the verbose log is read live, line by line
    load = functools.partial(load_classifier, reject=args.reject)  # a fine-tuned model too
    loading = BackgroundLoad(load)
    finetuner = BackgroundFinetune(default_samples_dir(args.samples), args.data_dir, load=load)
    code = run_entry_point(lambda: run(args, command, loading, finetuner), debug=args.debug)
    if loading.started:  # at once: the window is gone, and nothing is left to save
        exit_now(code)
    return code


def exit_now(code: int) -> NoReturn:
    """End the process without waiting for the threads still running or for Python's own
    tear-down of torch and Qt (about a second after the window has gone).

    Python's own exit would wait for the threads, or stop one in the middle of a torch call,
    which aborts in C++ (a second Ctrl-C did that). Nothing is left half-written: digitnet
    writes every file atomically, and a fine-tune asked to stop has had STOP_WAIT_S to end.
    """
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def run(args: argparse.Namespace, command: str, loading: BackgroundLoad,
        finetuner: BackgroundFinetune) -> int:
    """Open the window at once, load the model meanwhile, and loop until the user quits.
    `command` is how the app was started ("digitnet app"), for the no-display hint."""
    weights = weights_file(args)
    camera = CameraFeed(args.camera, loop=args.loop) if args.camera is not None else None
    with display_checked(os.environ.get("DISPLAY"), command) as screen:
        size = window_size(args.size, screen)
        cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL | cv2.WINDOW_GUI_NORMAL | cv2.WINDOW_FREERATIO)
        cv2.resizeWindow(WINDOW, *size)
    state = AppState(loading=loading, samples=SampleStore(args.samples), finetuner=finetuner,
                     reader=ReadingWorker(), camera=camera)
    window = Window(state, size, screen or MAX_SIZE, print if args.verbose else lambda line: None)
    try:
        window.step()  # the first frame, then torch: importing it meanwhile slows the window
        loading.start(weights)  # torch's import and the model's load: a second or two
        while state.running:
            window.step()
    finally:
        cv2.destroyAllWindows()
        finetuner.stop()  # at its next check: the window is gone already
        finetuner.join(STOP_WAIT_S)
    return 0


class Window:
    """The OpenCV window: frames out, mouse and keys in, the state's log printed."""

    def __init__(self, state: AppState, size: tuple[int, int], limit: tuple[int, int],
                 log: Callable[[str], None]):
        self.state, self.size, self.limit, self.log = state, size, limit, log
        self.on_screen = frame_layout(*size)  # the frame on show: mouse positions refer to it
        self._shown: tuple[tuple[int, int], int] | None = None  # its size and the state's version
        self._logged: tuple[Box, Box] | None = None
        self._next_frame = 0.0
        cv2.setMouseCallback(WINDOW, self._on_mouse)

    def _on_mouse(self, event: int, x: int, y: int, flags: int, _: object) -> None:
        self.state.on_mouse(event, x, y, flags, self.on_screen)

    def step(self) -> None:
        """One tick: draw the frame if it changed, take the mouse and keys, let the state work."""
        image = Box(*cv2.getWindowImageRect(WINDOW))
        if image.width > 0 and image.height > 0:
            self.size = fit_screen(image.size, self.limit)
        now = time.perf_counter()
        resized = self._shown is None or self.size != self._shown[0]  # a frame at once
        if (self.size, self.state.version) != self._shown and (now >= self._next_frame or resized):
            self.on_screen = frame_layout(*self.size, keys_help(self.state))  # idle costs nothing
            self.state.canvas_px = min(self.on_screen.canvas.size)
            cv2.imshow(WINDOW, render_frame(self.state, self.on_screen))
            self._shown, self._next_frame = (self.size, self.state.version), now + FRAME_S
        key = cv2.waitKey(WAIT_MS)  # paints the frame; runs the mouse callback
        if key != -1:
            self.state.on_key(key)
        elif window_closed():
            self.state.quit()
        self.state.tick(time.perf_counter())
        if (image, self.on_screen.canvas) != self._logged:
            self._logged = (image, self.on_screen.canvas)
            self.state.events.layout(image, self.on_screen.canvas)
        for line in self.state.events.take():
            self.log(line)
