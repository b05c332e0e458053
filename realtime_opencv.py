"""Draw a digit with the mouse and watch a CNN read it, live, in one OpenCV window.

    python realtime_opencv.py                      # the best shipped model
    python realtime_opencv.py --model simple --size 800x600 -v
    python realtime_opencv.py --weights ~/.local/share/digitnet/weights/finetuned-….pt
    xvfb-run -a python realtime_opencv.py -v       # without a screen

Mouse-up classifies, S classifies at any time, C clears, Z or Backspace undoes a stroke,
[ and ] change the brush, Esc or the window's close button quits.
A digit key 0-9 saves the drawing as a sample of that digit. F fine-tunes the model in use
on the saved samples in the background and then switches to the new model; its weights
file goes to the per-user folder, and the next launch uses it only if --weights names it.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from pathlib import Path

import cv2

from digitnet.app import AppState
from digitnet.cli import report_errors
from digitnet.background import BackgroundFinetune
from digitnet.layout import compute_layout
from digitnet.models import MODELS
from digitnet.paths import weights_path
from digitnet.recognizer import Recognizer
from digitnet.samples import SampleStore
from digitnet.ui import render_frame

WINDOW = "digitnet"
WAIT_MS = 10  # the event loop's tick: mouse and keys are handled at least this often
XVFB_HINT = "to run without a screen, use a virtual one: xvfb-run -a python realtime_opencv.py"


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 1280x720, got {text!r}") from None
    if width < 1 or height < 1:
        raise argparse.ArgumentTypeError(f"window size must be positive, got {text!r}")
    return width, height


def parse_folder(text: str) -> Path:
    """A folder that exists, or one that can be made: anything but a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not a folder")
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--weights", type=Path, help="weights file (default: the best shipped model)")
    which.add_argument("--model", choices=list(MODELS), help="use this shipped model's weights file")
    parser.add_argument("--size", type=parse_size, default=(1024, 640), metavar="WxH",
                        help="initial window size (default 1024x640)")
    parser.add_argument("--samples", type=parse_folder, metavar="DIR",
                        help="where 0-9 save samples and F learns from them "
                             "(default: $DIGITNET_SAMPLES or the per-user samples folder)")
    parser.add_argument("--data-dir", type=parse_folder, metavar="DIR",
                        help="MNIST, which F's fine-tuning mixes in (default: $DIGITNET_DATA or the user cache)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each event to stdout, one line each")
    return parser.parse_args(argv)


def x_display_problem(display: str | None) -> str | None:
    """Why a window cannot open on the X display, or None if the X server answers.

    Qt aborts the whole process when it cannot connect, so look first: a connection to the
    server's socket is cheap and tells.
    """
    if not sys.platform.startswith("linux"):
        return None  # Qt uses the system's own window server
    if not display:
        return "no display: $DISPLAY is not set"
    host, _, screen = display.rpartition(":")
    number = screen.split(".")[0]
    if not number.isdigit():
        return f"cannot use display {display!r}: not of the form [host]:number"
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
        return f"cannot connect to X display {display!r}"
    return None


def window_closed() -> bool:
    """The window's close button was pressed: the window is hidden or gone (Qt then raises instead)."""
    try:
        return cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1
    except cv2.error:
        return True


def run(args: argparse.Namespace) -> int:
    """Load the model (torch's import is most of the start-up), then open the window and loop."""
    log = print if args.verbose else (lambda line: None)
    start = time.perf_counter()
    recognizer = Recognizer.load(weights_path(args.model) if args.model else args.weights)
    ready_line = f"ready model={recognizer.name} load_ms={1000 * (time.perf_counter() - start):.0f}"
    cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL | cv2.WINDOW_GUI_NORMAL | cv2.WINDOW_FREERATIO)
    cv2.resizeWindow(WINDOW, *args.size)
    samples = SampleStore(args.samples)
    finetuner = BackgroundFinetune(samples.folder, args.data_dir)
    state = AppState(recognizer, samples=samples, finetuner=finetuner)
    cv2.setMouseCallback(WINDOW, state.on_mouse)
    shown, logged_layout = None, None
    try:
        while state.running:
            image = cv2.getWindowImageRect(WINDOW)
            size = (image[2], image[3]) if image[2] > 0 and image[3] > 0 else args.size
            now = time.perf_counter()
            state.poll_finetune()
            if state.layout and (trigger := state.recognition_due(now)):
                state.recognize(trigger, now)
            if (size, state.version) != shown:  # render only what changed: idle costs nothing
                layout = compute_layout(*size)
                cv2.imshow(WINDOW, render_frame(state, layout))
                state.layout, shown = layout, (size, state.version)
            key = cv2.waitKey(WAIT_MS)  # paints the frame; runs the mouse callback
            if key != -1:
                state.on_key(key)
            elif window_closed():
                state.quit()
            if (image, state.layout.canvas) != logged_layout:
                logged_layout = (image, state.layout.canvas)
                log(f"layout image={','.join(map(str, image))} canvas={state.layout.canvas}")
            if ready_line:  # the first frame is up
                log(ready_line)
                ready_line = None
            for line in state.take_log():
                log(line)
    finally:
        cv2.destroyAllWindows()
        finetuner.stop(wait=True)  # at its next check: the window is gone already
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if problem := x_display_problem(os.environ.get("DISPLAY")):
        print(f"error: {problem}; {XVFB_HINT}", file=sys.stderr)
        return 2
    sys.stdout.reconfigure(line_buffering=True)  # the verbose log is read live, line by line
    return report_errors(lambda: run(args))


if __name__ == "__main__":
    raise SystemExit(main())
