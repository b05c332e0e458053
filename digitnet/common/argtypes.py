"""argparse types that check a flag's range and say the allowed range when it is wrong.

Torch-free, so every parser (the CLI, the app, the training config) can use them on its fast
path; typed records (digitnet.common.records) check a field made in code or read from a file
with the same types, which is why they live below every layer. `type=positive_int` makes
`--batch-size 0` fail with "argument --batch-size: expected an integer >= 1, got '0'".
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TypeVar

N = TypeVar("N", int, float)
NO_REJECT_HELP = "always name a digit: never say 'not a digit' (the forced choice)"


def int_range(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """An argparse type for integers in [low, high] (None: unbounded on that side)."""
    return _ranged(int, "an integer", low, high, True, True)


def float_range(low: float | None = None, high: float | None = None, *,
                low_inclusive: bool = True, high_inclusive: bool = True) -> Callable[[str], float]:
    """An argparse type for finite numbers between low and high (None: unbounded)."""
    return _ranged(float, "a finite number", low, high, low_inclusive, high_inclusive)


def _ranged(convert: Callable[[str], N], kind: str, low: float | None, high: float | None,
            low_inclusive: bool, high_inclusive: bool) -> Callable[[str], N]:
    """A parser that converts a flag's text and refuses values outside the range, saying it."""
    allowed = _describe(kind, low, high, low_inclusive, high_inclusive)

    def parse(text: str) -> N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {allowed}, got {text!r}") from None
        too_low = low is not None and (value < low or (value == low and not low_inclusive))
        too_high = high is not None and (value > high or (value == high and not high_inclusive))
        if not math.isfinite(value) or too_low or too_high:
            raise argparse.ArgumentTypeError(f"expected {allowed}, got {text!r}")
        return value

    parse.__name__ = allowed
    return parse


def _describe(kind: str, low: float | None, high: float | None,
              low_inclusive: bool, high_inclusive: bool) -> str:
    bounds = []
    if low is not None:
        bounds.append(f"{'>=' if low_inclusive else '>'} {_number(low)}")
    if high is not None:
        bounds.append(f"{'<=' if high_inclusive else '<'} {_number(high)}")
    return f"{kind} {' and '.join(bounds)}" if bounds else kind


def _number(value: float) -> str:
    """Integers in full (a seed's 4294967295), other numbers short (0.001, not 0.0010000)."""
    return str(value) if isinstance(value, int) else f"{value:g}"


positive_int = int_range(1)
non_negative_int = int_range(0)
positive_float = float_range(0, low_inclusive=False)
non_negative_float = float_range(0)
fraction = float_range(0, 1)  # a share: 0 to 1, both included
SEEDS = int_range(0, 2**32 - 1)  # numpy's generators refuse negative seeds


def add_no_reject(parser: argparse.ArgumentParser) -> None:
    """--no-reject, as predict and the app take it (evaluate's is its config's): `reject`
    False."""
    parser.add_argument("--no-reject", dest="reject", action="store_false", help=NO_REJECT_HELP)
