"""Counts in words, so that no message says "1 digits": one rule for every message."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str = "") -> str:
    """'1 digit', '0 digits', '10,000 images'; `plural` where adding an s is wrong."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
