"""digitnet's command line: `digitnet COMMAND` (installed) or `python -m digitnet COMMAND`.

Building the parser imports no torch, so `--help` is instant; each command imports what it
needs when it runs, inside the one error boundary (digitnet.common.errors).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digitnet import DigitnetError, __version__
from digitnet.common.argtypes import add_no_reject
from digitnet.common.errors import (
    DEBUG_ENV_VAR,
    debug_requested,
    describe_unexpected,
    run_entry_point,
)
from digitnet.common.wording import counted
from digitnet.train.config import (
    EvaluateConfig,
    FinetuneConfig,
    TrainConfig,
    add_arguments,
    description,
    from_args,
)

if TYPE_CHECKING:
    from digitnet.cli.choose import FileReading, Readers
    from digitnet.reading.read_lines import LineReading

    Commands = argparse._SubParsersAction[argparse.ArgumentParser]

DESCRIPTION = """Draw a digit, and a small CNN reads it: the app, and the tools around it.

`digitnet COMMAND --help` lists a command's flags."""
INVERT_CHOICES = {"auto": None, "yes": True, "no": False}
READERS = ("auto", "lines", "digits")  # predict --reader: digitnet.cli.choose


def main(argv: list[str] | None = None, prog: str = "digitnet") -> int:
    """Parse the command line and run the command, all inside the error boundary."""
    return run_entry_point(lambda: run_command(argv, prog))


def run_command(argv: list[str] | None, prog: str) -> int:
    parser = build_parser(prog)
    args, extra = parser.parse_known_args(argv)
    if args.command == "app":
        args.app_argv = extra  # the app parses its own flags, --help included
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.debug:  # for every boundary in this process (the app has its own) and its children
        os.environ[DEBUG_ENV_VAR] = "1"
    return int(args.handler(args))


def build_parser(prog: str = "digitnet") -> argparse.ArgumentParser:
    debug_help = f"show the traceback of an unexpected error (or set {DEBUG_ENV_VAR}=1)"
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help=debug_help)
    parser.add_argument("--version", action="version", version=f"digitnet {__version__}")
    # --debug after the command too; unset there, it leaves the one before the command alone
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_predict_command(commands, debug)
    for command in CONFIG_COMMANDS:
        add_config_command(commands, debug, command)
    add_app_command(commands, debug)
    return parser


def add_predict_command(commands: Commands, debug: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "predict", parents=[debug], help="read digits and numbers in image files",
        description="Read the digit or number in each image: PNG, JPEG, BMP, TIFF, WebP, GIF, "
                    "...; gray, colour or transparent; 8-bit, 16-bit or float; either polarity; "
                    "a canvas, a scan or a photo of paper. Each digit gets its confidence; what "
                    "is not a digit (a letter, a doodle, a speck) says so.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--weights", help="weights file (default: the best shipped model)")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per line: file, number, digit, rejected, confidence, "
                        "probs, digits (each: digit, rejected, confidence, probs, box)")
    add_no_reject(p)
    p.add_argument("--invert", choices=list(INVERT_CHOICES), default="auto",
                   help="yes: dark ink on light paper; no: light ink on dark; "
                        "auto: detect (default)")
    p.add_argument("--reader", choices=READERS, default="auto",
                   help="lines: find the lines of text and read each with the line reader; "
                        "digits: cut the ink into digits and read each; auto: the line reader, "
                        "but a lone digit read by the digit network (default)")
    p.add_argument("--one-digit", action="store_true",
                   help="each image is a crop of one digit (a form's box, a cell): read the "
                        "digit it is centred on, leaving neighbours' fragments at its edges out")
    p.add_argument("--lines-weights", help="the line reader's weights file (default: the shipped "
                                           "one)")
    p.set_defaults(handler=run_predict)


def run_predict(args: argparse.Namespace) -> int:
    """Read each file; a file that fails gets an error line and the others go on."""
    readers = load_readers(args)
    failed = 0
    for name in args.files:
        try:
            reading = read_file(readers, name, INVERT_CHOICES[args.invert], args.reader,
                                args.one_digit)
        except Exception as e:  # one file's failure, foreseen or not, must not stop the others
            foreseen = isinstance(e, DigitnetError)
            if not foreseen and debug_requested():
                raise
            print(f"error: {e if foreseen else f'{name}: {describe_unexpected(e)}'}",
                  file=sys.stderr)
            failed += 1
            continue
        print(format_reading(name, reading, args.json), flush=True)
    return 1 if failed else 0


def load_readers(args: argparse.Namespace) -> Readers:
    """The digit network, and the line reader unless only the digit network will read."""
    from digitnet.cli.choose import Readers
    from digitnet.common.paths import weights_path
    from digitnet.model.classifier import Classifier
    from digitnet.model.registry import LINE_READER
    from digitnet.model.sequence import SequenceReader

    digits = Classifier.load(args.weights, reject=args.reject)
    if args.one_digit or args.reader == "digits":
        return Readers(digits, None)
    lines = args.lines_weights or weights_path(LINE_READER)
    return Readers(digits, SequenceReader.load(lines, reject=args.reject))


def read_file(readers: Readers, name: str, invert: bool | None, reader: str = "auto",
              one_digit: bool = False) -> FileReading:
    """predict's path for one file: read it safely, then read it with the reader chosen
    (digitnet.cli.choose)."""
    from digitnet.cli.choose import read_image_with
    from digitnet.data.images import read_image

    read = read_image_with(readers, read_image(name), reader, invert, one_digit)
    if not all(math.isfinite(p) for part in read.reading.digits for p in part.prediction.probs):
        raise DigitnetError(f"{name}: the model's output is not finite (damaged weights?)")
    return read


def format_reading(name: str, read: FileReading, as_json: bool) -> str:
    """One line of output: the text, or one JSON object (see reading.result.reading_record)."""
    from digitnet.reading.result import describe_reading

    if as_json:
        return json.dumps({"file": name, **file_record(read)}, allow_nan=False)
    if len(read.lines) > 1:
        text = f"{len(read.lines)} lines: " + " | ".join(map(describe_line, read.lines))
    else:
        text = describe_line(read.lines[0]) if read.lines else describe_reading(read.reading)
    if read.ignored:
        text += f"; ink not read at {counted(len(read.ignored), 'place')}"
    return f"{name}: {text}"


def describe_line(line: LineReading) -> str:
    """A line as `describe_reading` says it, after its text where that says more (separators,
    characters not digits): `1,234 (1 0.990, 2 0.981, ...)`."""
    from digitnet.reading.result import describe_reading

    reading = describe_reading(line.reading)
    if line.text == line.reading.number:
        return reading
    return f"{line.text} {reading[len(line.reading.number):]}" if line.reading.number else \
        f"{line.text}: {reading}"


def file_record(read: FileReading) -> dict[str, object]:
    """--json's fields: `reading_record` of every digit (`number` null for several lines),
    `lines` (each: text, number, box, digits) and `ignored` (boxes of ink no line took)."""
    from digitnet.reading.result import box_list, part_record, reading_record

    record = reading_record(read.reading)
    if len(read.lines) > 1:
        record["number"] = None
    lines = [{"text": line.text, "number": line.reading.number, "box": box_list(line.box),
              "digits": [part_record(part) for part in line.reading.digits]}
             for line in read.lines]
    return record | {"lines": lines, "ignored": [box_list(box) for box in read.ignored]}


def run_train(args: argparse.Namespace) -> int:
    config = from_args(TrainConfig, args)  # flags that do not go together fail before torch loads
    from digitnet.train.loop import train

    train(config, resume=args.resume)
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from digitnet.train.evaluate import evaluate, format_summary

    result = evaluate(from_args(EvaluateConfig, args))
    print(json.dumps(result.as_json()) if args.json else format_summary(result))
    return 0


def run_finetune(args: argparse.Namespace) -> int:
    from digitnet.train.finetune import finetune, summary

    result = finetune(from_args(FinetuneConfig, args),
                      progress=lambda message: print(message, file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        print(summary(result))
    return 0


@dataclass(frozen=True)
class ConfigCommand:
    """A command whose flags are a config's fields (digitnet.train.config), plus one switch of its
    own."""

    name: str
    help: str
    config_type: type
    handler: Callable[[argparse.Namespace], int]
    switch: str  # a store_true flag besides the config's
    switch_help: str


CONFIG_COMMANDS = (
    ConfigCommand("train", "train a CNN on MNIST", TrainConfig, run_train, "--resume",
                  "continue the run in --out from its checkpoint (with the same flags)"),
    ConfigCommand("evaluate", "test accuracy, calibration and reports", EvaluateConfig,
                  run_evaluate, "--json", "print one JSON object instead of the text summary"),
    ConfigCommand("finetune", "teach a model your handwriting from your saved samples",
                  FinetuneConfig, run_finetune, "--json", "print the result as one JSON object"),
)


def add_config_command(commands: Commands, debug: argparse.ArgumentParser,
                       command: ConfigCommand) -> None:
    p = commands.add_parser(command.name, parents=[debug], help=command.help,
                            description=description(command.config_type),
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p, command.config_type)
    p.add_argument(command.switch, action="store_true", help=command.switch_help)
    p.set_defaults(handler=command.handler)


def add_app_command(commands: Commands, debug: argparse.ArgumentParser) -> None:
    p = commands.add_parser("app", parents=[debug], add_help=False,
                            help="the drawing window (as realtime_opencv.py); "
                                 "`digitnet app --help` lists its flags")
    p.set_defaults(handler=run_app, app_prog=p.prog)


def run_app(args: argparse.Namespace) -> int:
    from digitnet.app.window import main as app_main

    return app_main(args.app_argv, prog=args.app_prog)
