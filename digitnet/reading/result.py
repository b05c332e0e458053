"""What a drawing or an image reads as (a Reading: per digit, left to right, the network's
input, the model's answer and where the digit lies; and the number they make), and how
`predict` says it: one line of text, or --json's fields."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitnet.common.box import Box
from digitnet.common.digits import NUM_CLASSES
from digitnet.common.prediction import BLANK as BLANK_PREDICTION
from digitnet.common.prediction import Prediction


@dataclass(frozen=True)
class DigitReading:
    image: np.ndarray  # [IMAGE_SIZE, IMAGE_SIZE] float in [0, 1]: what the transform made
    prediction: Prediction
    box: Box  # where the digit's ink lies in the canvas or image, in its pixels

    @property
    def rejected(self) -> bool:
        """Not a digit: a speck, or the model's top probability below its threshold."""
        return self.prediction.rejected

    @property
    def speck(self) -> bool:
        """Too small to be a digit: the model was not asked (its probabilities are all zero)."""
        return self.prediction.rejected and self.prediction.digit is None

    @property
    def digit(self) -> int | None:
        """The digit read; None when it is not a digit (`prediction.digit` is the best guess)."""
        return None if self.rejected else self.prediction.digit


@dataclass(frozen=True)
class Reading:
    digits: tuple[DigitReading, ...] = ()  # left to right; empty: nothing drawn

    @property
    def single(self) -> DigitReading | None:
        """The one digit read, or None when there is not exactly one."""
        return self.digits[0] if len(self.digits) == 1 else None

    @property
    def prediction(self) -> Prediction:
        """The model's answer for a reading of one digit at most (read.read_digit's), as before
        numbers: common.prediction.BLANK's when nothing is drawn."""
        if len(self.digits) > 1:
            raise ValueError(f"{len(self.digits)} digits have no one prediction")
        return self.digits[0].prediction if self.digits else BLANK_PREDICTION

    @property
    def number(self) -> str | None:
        """The digits left to right ("2026"); None when blank or when any part is not a digit."""
        if not self.digits or any(part.rejected for part in self.digits):
            return None
        return "".join(str(part.digit) for part in self.digits)

    @property
    def least_confidence(self) -> float:
        """The least sure part's confidence, as the log and --json give a number's; 0 if
        blank."""
        return min((part.prediction.confidence for part in self.digits), default=0.0)

    @property
    def rejected_parts(self) -> list[int]:
        """The indices in `digits` of the parts that are not digits."""
        return [i for i, part in enumerate(self.digits) if part.rejected]


BLANK = Reading()


def box_list(box: Box) -> list[int]:
    return [box.left, box.top, box.width, box.height]


def reading_record(reading: Reading) -> dict[str, object]:
    """--json's fields. `number`: the digits (null when blank or any part is not a digit).
    `digit`, `rejected`, `confidence`, `probs` describe one digit as before numbers: for a
    blank image null, false, 0 and zeros; for several digits `digit` and `probs` are null,
    `rejected` says whether any part is not a digit, and `confidence` is the least sure part's.
    `digits`: each part left to right, with its box [left, top, width, height] in pixels."""
    parts = [part_record(part) for part in reading.digits]
    record: dict[str, object] = {"number": reading.number}
    if len(parts) == 1:
        record |= {key: parts[0][key] for key in ("digit", "rejected", "confidence", "probs")}
    elif parts:
        record |= {"digit": None, "rejected": bool(reading.rejected_parts),
                   "confidence": round(reading.least_confidence, 6), "probs": None}
    else:
        record |= {"digit": None, "rejected": False, "confidence": 0.0,
                   "probs": [0.0] * NUM_CLASSES}
    return record | {"digits": parts}


def part_record(part: DigitReading) -> dict[str, object]:
    """One digit in --json. `confidence` and `probs` are the model's own, rejected or not
    (zeros for a speck: the model was not asked)."""
    return {"digit": part.digit, "rejected": part.rejected,
            "confidence": round(part.prediction.confidence, 6),
            "probs": [round(p, 6) for p in part.prediction.probs], "box": box_list(part.box)}


def describe_reading(reading: Reading) -> str:
    """The text after `FILE: `: `blank`; one digit as before numbers (`7 (0.998)`, `not a digit
    (...)`); a number with each digit's confidence, `2026 (2 0.990, 0 0.981, ...)`; or which
    parts are not digits, `not a number: part 3 of 4 is not a digit (2 0.990, ...)`."""
    if reading.single is not None:
        return describe_part(reading.single, ALONE)
    if not reading.digits:
        return "blank"
    parts = ", ".join(describe_part(part) for part in reading.digits)
    if reading.number is not None:
        return f"{reading.number} ({parts})"
    bad, count = [i + 1 for i in reading.rejected_parts], len(reading.digits)
    which = (f"part {bad[0]} of {count} is not a digit" if len(bad) == 1 else
             f"parts {', '.join(map(str, bad[:-1]))} and {bad[-1]} of {count} are not digits")
    return f"not a number: {which} ({parts})"


# How predict says what one part is: alone (a single digit), or as one of a number's parts.
ALONE = {"speck": "not a digit (too small: a speck)",
         "guess": "not a digit (best guess {digit}, {confidence})",
         "digit": "{digit} ({confidence})"}
IN_NUMBER = {"speck": "? a speck", "guess": "? best guess {digit} {confidence}",
             "digit": "{digit} {confidence}"}  # `2 0.990`, `? best guess 4 0.412`, `? a speck`


def describe_part(part: DigitReading, words: dict[str, str] = IN_NUMBER) -> str:
    """One part in `words`: a speck, a best guess that is not a digit, or the digit read."""
    kind = "speck" if part.speck else "guess" if part.rejected else "digit"
    return words[kind].format(digit=part.prediction.digit,
                              confidence=f"{part.prediction.confidence:.3f}")
