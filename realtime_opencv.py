"""Draw a digit or a number with the mouse and watch a CNN read it, live.

`python realtime_opencv.py --help` lists the flags.

The app lives in the package (digitnet/app/window.py), so `digitnet app` runs the same thing.
"""

import sys

try:
    from digitnet.app.window import main
except KeyboardInterrupt:  # Ctrl-C while it starts: as quiet as later on
    print("interrupted", file=sys.stderr)
    sys.exit(130)

if __name__ == "__main__":
    sys.exit(main())
