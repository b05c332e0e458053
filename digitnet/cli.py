"""`python -m digitnet COMMAND`: predict, train, evaluate, finetune."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

from digitnet import DigitnetError, __version__

INVERT_CHOICES = {"auto": None, "yes": True, "no": False}


def cmd_predict(args: argparse.Namespace) -> int:
    import cv2

    from digitnet.recognizer import Recognizer

    recognizer = Recognizer.load(args.weights)
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # we report unreadable files ourselves
    failed = 0
    for name in args.files:
        image = cv2.imread(name, cv2.IMREAD_UNCHANGED) if Path(name).is_file() else None
        if image is None:
            reason = "no such file" if not Path(name).exists() else "not a readable image"
            print(f"error: {name}: {reason}", file=sys.stderr)
            failed += 1
            continue
        prediction = recognizer.classify_canvas(image, invert=INVERT_CHOICES[args.invert])
        if args.json:
            record = {"file": name, **prediction.as_dict()}
            record["confidence"] = round(record["confidence"], 6)
            record["probs"] = [round(p, 6) for p in record["probs"]]
            print(json.dumps(record), flush=True)
        elif prediction.digit is None:
            print(f"{name}: blank", flush=True)
        else:
            print(f"{name}: {prediction.digit} ({prediction.confidence:.3f})", flush=True)
    return 1 if failed else 0


def cmd_train(args: argparse.Namespace) -> int:
    from digitnet import train

    train.run(args)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from digitnet import evaluate

    evaluate.run(args)
    return 0


def cmd_finetune(args: argparse.Namespace) -> int:
    from digitnet.finetune import describe, finetune

    summary = finetune(args.samples, args.weights, args.out, epochs=args.epochs, lr=args.lr, holdout=args.holdout,
                       data_dir=args.data_dir, seed=args.seed, mnist_limit=args.mnist_limit,
                       progress=lambda message: print(message, file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{describe(summary)}\nnew weights: {summary['weights']} (load them with --weights)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from digitnet import evaluate, train

    parser = argparse.ArgumentParser(prog="python -m digitnet", description=__doc__)
    parser.add_argument("--version", action="version", version=f"digitnet {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("predict", help="classify digit image files",
                            description="Classify PNG/JPG/BMP images of single digits, either polarity.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--weights", help="weights file (default: the best model in weights/)")
    p.add_argument("--json", action="store_true", help="one JSON object per line: file, digit, confidence, probs")
    p.add_argument("--invert", choices=list(INVERT_CHOICES), default="auto",
                   help="yes: dark ink on light paper; no: light ink on dark; auto: detect (default)")
    p.set_defaults(func=cmd_predict)

    p = commands.add_parser("train", help="train a CNN on MNIST", description=train.__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_arguments(p)
    p.set_defaults(func=cmd_train)

    p = commands.add_parser("evaluate", help="test accuracy, calibration and PNG reports",
                            description=evaluate.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    evaluate.add_arguments(p)
    p.set_defaults(func=cmd_evaluate)

    from digitnet import finetune

    p = commands.add_parser("finetune", help="teach a model your handwriting from your saved samples",
                            description=finetune.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    finetune.add_arguments(p)
    p.set_defaults(func=cmd_finetune)
    return parser


def report_errors(command: Callable[[], int]) -> int:
    """Run a command the way every digitnet entry point does: a user error is one line and exit 2."""
    try:
        return command()
    except DigitnetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return report_errors(lambda: args.func(args))
