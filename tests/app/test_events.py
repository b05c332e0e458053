"""The app's verbose log: every line's format, as README documents it."""

from __future__ import annotations

import numpy as np
from screen import BOX, part

from digitnet.app.events import EventLog
from digitnet.common.box import Box
from digitnet.common.prediction import SPECK, Prediction
from digitnet.reading.result import BLANK, DigitReading, Reading


def test_every_log_line_is_formatted_by_the_event_log():
    """The lines README documents, exactly: tests and users parse them."""
    log = EventLog()
    probs = (0.0,) * 7 + (0.987654,) + (0.0,) * 2
    log.layout(Box(-1, 20, 960, 600), Box(24, 24, 529, 529))
    log.ready("simple", 1.2345)
    seven = Prediction(7, 0.987654, probs)
    log.prediction(Reading((part(seven),)), 0.00234, "live")
    log.prediction(BLANK, 0.0001, "key")
    doubtful = Prediction(4, 0.41, (0.059,) * 4 + (0.41,) + (0.059,) * 5, rejected=True)
    log.prediction(Reading((part(doubtful),)), 0.0021, "mouseup")
    log.prediction(Reading((DigitReading(np.zeros((28, 28)), SPECK, BOX),)), 0.0004, "live")
    two = Prediction(2, 0.91, (0.01,) * 2 + (0.91,) + (0.01,) * 7)
    log.prediction(Reading((part(seven), part(two), part(seven))), 0.0052, "mouseup")
    log.prediction(Reading((part(seven), part(doubtful))), 0.0049, "key")
    log.clear()
    log.undo()
    log.brush(0.0625, 28)
    log.sample_saved(3, "/samples/3_x.npz")
    log.sample_failed("disk full")
    log.finetune_started()
    log.finetune_stopping()
    log.finetune_done("/w/finetuned.pt")
    log.finetune_kept("/w/finetuned.pt", "the fine-tuned one reads MNIST test worse")
    log.finetune_failed("too few samples")
    log.exit()
    assert log.take() == [
        "layout image=-1,20,960,600 canvas=24,24,529,529",
        "ready model=simple load_ms=1234",
        "prediction digit=7 confidence=0.988 latency_ms=2.3 trigger=live number=7",
        "prediction digit=none confidence=0.000 latency_ms=0.1 trigger=key number=none",
        "prediction digit=none confidence=0.410 latency_ms=2.1 trigger=mouseup rejected=yes"
        " number=none",
        "prediction digit=none confidence=0.000 latency_ms=0.4 trigger=live rejected=yes"
        " number=none",
        # a number: its least confident digit's confidence
        "prediction digit=none confidence=0.910 latency_ms=5.2 trigger=mouseup number=727",
        "prediction digit=none confidence=0.410 latency_ms=4.9 trigger=key rejected=yes"
        " number=none",
        "clear", "undo", "brush size=0.0625 px=28",
        "sample digit=3 path=/samples/3_x.npz", "sample failed error=disk full",
        "finetune started", "finetune stopping", "finetune done weights=/w/finetuned.pt",
        "finetune kept weights=/w/finetuned.pt reason=the fine-tuned one reads MNIST test worse",
        "finetune failed error=too few samples", "exit",
    ]
    assert log.take() == []
