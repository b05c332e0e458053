"""The layout: every element inside the frame, none overlapping, each with room at usable sizes."""

from __future__ import annotations

import pytest
from screen import SIZES, TINY, overlap, parts

from digitnet.app.frame import frame_layout
from digitnet.app.layout import compute_layout


@pytest.mark.parametrize("size", SIZES + TINY, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_element_fits_in_the_frame_without_overlap(size):
    width, height = size
    layout = compute_layout(width, height)
    boxes = parts(layout)
    for name, box in boxes.items():
        inside = box.left >= 0 and box.top >= 0 and box.right <= width and box.bottom <= height
        assert inside, (name, box)
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not overlap(boxes[a], boxes[b]), (a, boxes[a], b, boxes[b])
    assert layout.canvas.width == layout.canvas.height
    assert layout.preview.width == layout.preview.height


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_usable_sizes_give_every_element_room(size):
    layout = frame_layout(*size)
    assert layout.canvas.width >= 0.5 * min(size)
    assert layout.preview.width >= 28  # one screen pixel per network pixel at least
    # ten rows of legible text, or (ui.draw_columns) ten columns over legible digits
    assert layout.bars.height >= 70 and layout.bars.width >= 90
    assert layout.readout.width > 0 and layout.readout.height > 0
    for line in (layout.status, layout.samples, layout.footer):  # a line of text across the frame
        assert line.height >= 10 and line.width >= 0.9 * size[0]
    panel = (layout.preview, layout.readout, layout.bars)
    beside = min(b.left for b in panel) > layout.canvas.right  # landscape
    below = min(b.top for b in panel) > layout.canvas.bottom  # portrait
    assert beside or below
    if max(size) >= 1.5 * min(size):  # clearly one or the other
        assert beside == (size[0] > size[1])
