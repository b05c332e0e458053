"""Draw a digit with the mouse and watch a CNN read it, live: `python realtime_opencv.py --help`.

The app lives in the package (digitnet/window.py), so `digitnet app` runs the same thing.
"""

from digitnet.window import main

if __name__ == "__main__":
    raise SystemExit(main())
