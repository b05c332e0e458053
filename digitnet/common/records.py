"""Typed records to and from plain dicts, with every field checked on the way in.

Weights files, checkpoints and the metrics log store records as dicts of plain values (str,
int, float, bool, None, lists, tuples, dicts): what `torch.load(weights_only=True)` and JSON
read back. `from_plain` rebuilds a record from such a dict and names the first field of the
wrong type; `checked(default, parse)` declares a field's allowed range once, as an argparse
type (digitnet.common.argtypes), and `check_fields` applies it to a record made in code or read from
a file. Torch-free.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from digitnet import DigitnetError

R = TypeVar("R")
Parse = Callable[[str], Any]


class RecordError(DigitnetError):
    """A record (config, metadata, log line) holds a value of the wrong type or range.

    `field` is the name the message starts with, if it is about one field, so that a caller can
    name that field as its user knows it: by its path in a file, or by its command-line flag.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field

    def renamed(self, name: str) -> RecordError:
        """The same error, its field called `name`."""
        if self.field is None:
            return self
        return RecordError(name + str(self).removeprefix(self.field), name)


def checked(default: Any, parse: Parse | None = None, **metadata: Any) -> Any:
    """A dataclass field whose value, when not None, must pass `parse` (an argparse type)."""
    return dataclasses.field(default=default, metadata={"parse": parse, **metadata})


def check_fields(record: Any) -> None:
    """Raise RecordError naming the first field whose value its `parse` or `choices` refuses.

    A value passes if its repr parses: floats and ints round-trip through repr exactly, and a
    value of another type (a string where a number belongs) fails as it would on the command line.
    """
    for field in dataclasses.fields(record):
        value, parse = getattr(record, field.name), field.metadata.get("parse")
        choices = field.metadata.get("choices")
        if value is None:
            continue
        if choices is not None and value not in choices:
            allowed = ", ".join(repr(choice) for choice in choices)
            raise RecordError(f"{field.name} must be one of {allowed}, got {_short(value)}",
                              field.name)
        if parse is not None:
            try:
                parse(repr(value))
            except argparse.ArgumentTypeError as e:
                raise RecordError(f"{field.name}: {e}", field.name) from None


def to_plain(record: Any) -> dict[str, Any]:
    """The record as a dict of plain values (nested records become dicts too)."""
    return dataclasses.asdict(record)


def from_plain(cls: type[R], data: object, where: str) -> R:
    """Rebuild a `cls` record from a plain dict; `where` names it in errors ("metadata").

    Unknown keys are ignored (files written by a newer or older digitnet), missing ones take
    the field's default; a missing field without a default, a value of the wrong type, or one
    out of its range is a RecordError naming `where.field`.
    """
    if not isinstance(data, dict):
        raise RecordError(f"{where} must be a dict, got {_short(data)}")
    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = f"{where}.{field.name}"
        if field.name in data:
            values[field.name] = _convert(data[field.name], hints[field.name], name)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise RecordError(f"{name} is missing")
    try:
        return cls(**values)
    except RecordError as e:
        if e.field is None:
            raise RecordError(f"{where}.{e}") from None
        raise e.renamed(f"{where}.{e.field}") from None


def _convert(value: object, hint: Any, name: str) -> Any:
    """`value` as type `hint`, or RecordError saying what `name` must be."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [arg for arg in args if arg is not type(None)]
        if len(options) == 1:  # keep the nested error: it names the field inside
            return _convert(value, options[0], name)
        for option in options:
            try:
                return _convert(value, option, name)
            except RecordError:
                continue
        raise _wrong(name, hint, value)
    if dataclasses.is_dataclass(hint):
        return from_plain(typing.cast(type, hint), value, name)
    if origin is typing.Literal:
        if value in args:
            return value
        raise _wrong(name, hint, value)
    if origin is list and isinstance(value, (list, tuple)):
        return [_convert(item, args[0], f"{name}[{i}]") for i, item in enumerate(value)]
    if origin is tuple and isinstance(value, (list, tuple)):
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(item, args[0], f"{name}[{i}]") for i, item in enumerate(value))
        if len(args) == len(value):
            pairs = enumerate(zip(value, args, strict=True))
            return tuple(_convert(item, arg, f"{name}[{i}]") for i, (item, arg) in pairs)
        raise _wrong(name, hint, value)
    if origin is dict and isinstance(value, dict):
        return {_convert(k, args[0], name): _convert(v, args[1], f"{name}[{k!r}]")
                for k, v in value.items()}
    return _convert_scalar(value, hint, name)


def _convert_scalar(value: object, hint: Any, name: str) -> Any:
    if hint is Any:
        return value
    if hint is bool and isinstance(value, bool):
        return value
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is str and isinstance(value, str):
        return value
    raise _wrong(name, hint, value)


_KINDS = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join("None" if arg is type(None) else _describe(arg) for arg in args)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(arg) for arg in args)
    if origin in (tuple, list):
        return "a list"
    if origin is dict or dataclasses.is_dataclass(hint):
        return "a dict"
    return _KINDS.get(hint, getattr(hint, "__name__", str(hint)))


def _wrong(name: str, hint: Any, value: object) -> RecordError:
    return RecordError(f"{name} must be {_describe(hint)}, got {_short(value)}")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
