"""The paper reader's tuning constants, in one record, each with what it means."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PaperParams:
    """How the paper reader finds ink on paper, sets aside what is not writing, groups the
    rest into digits and offers the cuts a model chooses among (see digitnet.reading.paper)."""

    # ## The paper's tone and the ink (ink.py)
    # the paper's tone is estimated on a copy this many pixels on its short side
    background_side: int = 64
    # ... with an opening this share of that side: wider than any stroke
    background_kernel: float = 0.15
    # paper of which this share has one exact tone (a canvas, a clean scan) is that tone
    flat: float = 0.5
    # ink stands out from the paper by this many noise deviations
    noise_sigmas: float = 5.0
    # above this noise (unit scale), the residual is smoothed before thresholding
    noisy: float = 1.5 / 255
    # components smaller than this many pixels are noise
    min_area: int = 4
    # ... and those smaller than a square this share of the digits' height
    speck_side: float = 0.08

    # ## What is not writing: a table or the paper's edge, ruled lines (clutter.py)
    # a cell of the flat-region test this much ink is solid
    solid: float = 0.4
    # a straight run this many digit heights long is a ruled line
    line_length: float = 3.0

    # ## The components grouped into the line's digits (groups.py)
    # no digit is less high than this many pixels
    min_height: int = 6
    # a group less high than this share of the line's digits is a "." "," or speck
    separator: float = 0.4
    # ... unless it lies this close beside a digit's upper half: a 5's flag
    flag_gap: float = 0.25
    # a group at the border taller than this many digit heights is the paper's edge
    tallest: float = 1.5
    # ... and one lower than this share of them is cut off, or the table's rim
    border_low: float = 0.6
    # pieces sharing this share of the narrower one's width are one digit
    overlap: float = 0.5
    # ... and, above or below it, hold this share of its ink
    piece_share: float = 0.03
    # a wide digit's width for its height, when the line has too few to measure
    digit_aspect: float = 0.8
    # ink no wider than this many times its height (a wide 0 or 2, not cut),
    one_digit: float = 1.45
    # ... in pieces that touch (a gap of this share of its height), is one digit
    piece_gap: float = 0.0
    # neighbours this many digit heights apart or closer may be one digit: a model says
    close: float = 0.15

    # ## Where the shape alone cuts a group: at a junction (junction.py)
    # a group this many typical digit widths wide is several digits: cut
    split_width: float = 1.6
    # strokes a junction column may cross
    max_runs: int = 2
    # a junction holds at most this many strokes' widths of ink
    thin: float = 1.5
    # from this many heights wide, cut where a narrow junction says two touch
    maybe_split: float = 1.35

    # ## Candidate cuts for a model to choose among (digitnet.reading.choice.best_way; cuts.py,
    # lattice.py), all chosen on tuning fold 1 (bench/written_numbers.py --fold 1, weights
    # that never learnt its writers)
    # a group this many digit heights wide may be digits touching: a model says
    cut_width: float = 0.75
    # ... offered this many cut paths
    cuts: int = 2
    # ... in each stretch of it this many digit heights wide
    cut_spacing: float = 0.5
    # ... none of them nearer its sides than this many digit heights
    cut_inset: float = 0.2
    # ... each side holding as much ink as a stroke this many digit heights long
    cut_side: float = 0.6
    # a cut path's cost per column it drifts sideways, against 1 per ink pixel
    drift_cost: float = 0.5
    # a path through more ink than this many strokes' widths is no cut
    max_cut_strokes: float = 3.0
    # cuts whose sides differ by less than this share of the group's ink are one
    same_cut: float = 0.02
    # a candidate part (other than the shape's) is at most this many heights wide
    part_width: float = 1.2
    # ... and at least this share of the line's digit height high
    part_height: float = 0.75

    # ## ... and for speed, with the same figures on fold 1
    # cut paths are found on a copy of the group this many rows high at most
    dp_rows: int = 128
    # ... the cheapest this many times as many as could be taken traced back
    traced: int = 8

    # ## The parts a model reads (digits.py)
    # one part on a flat page is the whole ink if that lies this near (as_before)
    before_reach: float = 0.6
    # a part's speck test sees a region this many line heights across
    speck_context: float = 5.0


PAPER = PaperParams()  # the values the paper reader uses
