"""The paper reader: the digits of a photo, scan or canvas, each as an Ink, left to right.

`find_ink` takes every pixel brighter than its threshold as ink, which is right for a canvas and
wrong for paper: uneven light, camera noise and a table edge become ink too. Here, each step in
a module of its own (its tuning constants in one record, params.PaperParams):

1. The paper's own tone is estimated locally (an opening of a downscaled copy: it follows
   shadows and gradients but passes under strokes; a canvas's single flat tone is taken as
   is), and ink is what stands out from it by more than the camera noise (noise_sigmas) and
   by INK_THRESHOLD of the ink's contrast, as in `find_ink` (ink.py).
2. What is not a digit goes: a table or the paper's edge (solid ink along the image's border)
   and ruled lines (straight runs line_length digit heights long, kept where a stroke crosses
   them) (clutter.py); specks and separators such as "." and "," (far less high than the
   line's digits), what the border cuts off, and anything off the line of digits (groups.py).
3. The rest is grouped into digits: pieces sharing columns are one digit (a 5's loose bar, a
   broken stroke) (groups.py); a group too wide for one digit is cut at a junction (one or two
   strokes, no loop, a valley in the ink per column), and ink shaped like one digit stays one
   (junction.py).
4. Where the shape cannot settle it (pieces close enough to be one digit, a group wide enough
   to be digits touching), `candidate_parts` gives the other ways to cut too, for a model to
   choose (digitnet.reading.read.read_canvas): boundaries between the pieces, at the shape's
   cuts and along least-ink cut paths through wide groups (cuts.py: they may slant or bend
   round a stroke), and every part between two of them that could be a digit (lattice.py);
   `find_digits` is the shape's choice alone (digits.py, where the reader starts).

One part on a flat page (a canvas, a clean scan) whose ink find_ink's box hardly exceeds is
exactly `find_ink`'s Ink, so a single digit reads as before; elsewhere (a photo, a part the
cut left out much of) the part is what segmentation found, and may read otherwise.
"""
