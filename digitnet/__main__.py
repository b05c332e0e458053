"""`python -m digitnet COMMAND`: the same command line as the installed `digitnet`."""

from digitnet.cli.main import main

raise SystemExit(main(prog="python -m digitnet"))
