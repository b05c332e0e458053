"""Samples saved with the digit keys: what is saved and when, what is refused and why, Z taking
a sample back, the counts and the status line."""

from __future__ import annotations

import numpy as np
from screen import DIGITS, DOWN, Screen, StandIn, click, logged, read_now, shows, status_lines

from digitnet.app.frame import samples_line
from digitnet.app.style import ERROR, TEXT
from digitnet.common.sketch import render_strokes
from digitnet.data.samples import SampleStore
from digitnet.reading.preprocess import to_mnist
from digitnet.reading.result import BLANK


def test_a_status_message_gives_way_to_the_next_drawing(tmp_path):
    screen = Screen(samples=SampleStore(tmp_path / "samples"))
    status = screen.state.teaching.status
    screen.save("5")  # nothing drawn: an error
    assert status.error and shows(screen.frame(), status_lines(screen.layout)[1], ERROR)
    click(screen, screen.layout.bars)  # a click off the canvas draws nothing: it stays
    assert status.text
    screen.mouse(DOWN, *screen.pixel(0.5, 0.2))
    assert status.text == ""
    assert not any(shows(screen.frame(), line, colour) for line in status_lines(screen.layout)
                   for colour in (ERROR, TEXT))


def test_a_drawing_of_several_digits_is_not_saved_as_a_sample(tmp_path):
    store = SampleStore(tmp_path / "samples")
    screen = Screen(samples=store)
    screen.draw_number("17")
    screen.save("1")
    status = screen.state.teaching.status
    assert status.text == "not saved: draw one digit to save a sample" and status.error
    assert not store.folder.exists()
    assert "sample refused reason=not saved: draw one digit to save a sample" in \
        logged(screen.state)
    assert len(screen.state.drawing.strokes) == 2  # kept: undo a digit, then save
    screen.press("z")
    assert status.text == ""  # the refusal was about the drawing before
    screen.save("1")
    (sample,), _ = store.load_all()
    assert sample.label == 1 and len(sample.strokes) == 1


def test_z_right_after_a_save_takes_the_sample_back(tmp_path):
    store = SampleStore(tmp_path / "samples")
    screen = Screen(samples=store)
    screen.draw(7)
    strokes = [s.copy() for s in screen.state.drawing.strokes]
    screen.save("7")
    (sample,), _ = store.load_all()
    assert screen.state.drawing.blank
    logged(screen.state)
    screen.press("z")
    assert store.load_all() == ([], []) and screen.state.teaching.counts == [0] * 10
    assert all(np.array_equal(a, b)
               for a, b in zip(screen.state.drawing.strokes, strokes, strict=True))
    assert logged(screen.state) == [f"sample removed path={sample.path}"]
    assert screen.state.teaching.status.text.startswith("took the 7 back")
    screen.press("z")  # then Z is undo as ever: the seven's stroke
    assert screen.state.drawing.blank and logged(screen.state) == ["undo"]


def test_z_after_drawing_again_undoes_the_stroke_and_keeps_the_sample(tmp_path):
    store = SampleStore(tmp_path / "samples")
    screen = Screen(samples=store)
    screen.draw(7)
    screen.save("7")
    screen.draw(1)
    screen.press("z")
    assert store.counts()[7] == 1 and screen.state.drawing.blank


def test_a_drawing_the_model_reads_as_not_a_digit_is_saved_only_when_asked_twice(tmp_path):
    store = SampleStore(tmp_path / "samples")
    screen = Screen(classifier=StandIn(threshold=0.9), samples=store)  # it doubts everything
    screen.draw(7)
    screen.save("7")
    status = screen.state.teaching.status
    assert status.error and status.text == ("not saved: the model reads this as not a digit; "
                                            "press 7 again to save it as a 7 anyway")
    assert not store.folder.exists()
    screen.save("7")
    (sample,), _ = store.load_all()
    assert sample.label == 7


def test_a_speck_is_never_saved(tmp_path):
    store = SampleStore(tmp_path / "samples")
    screen = Screen(samples=store)
    screen.drag([(0.5, 0.5)])
    for _ in range(2):
        screen.save("1")
    assert not store.folder.exists()
    assert screen.state.teaching.status.text == "not saved: too small for a digit"


def test_a_sample_asked_for_while_the_model_loads_is_saved_once_it_has_read_the_drawing(
        tmp_path):
    store = SampleStore(tmp_path / "samples")
    screen = Screen(samples=store)
    model, screen.state.classifier = screen.state.classifier, None  # still loading
    screen.draw(1)
    screen.save("1")
    assert screen.state.teaching.status.text.startswith("the model is loading")
    screen.draw(7)  # the next one, drawn while the model loads: not part of the sample
    assert not store.folder.exists()
    screen.state.use_model(model)
    screen.state.tick(now=0.0)
    (sample,), _ = store.load_all()
    assert sample.label == 1 and len(sample.strokes) == len(DIGITS[1])
    assert len(screen.state.drawing.strokes) == len(DIGITS[7])  # the seven stays


def test_a_digit_with_a_dot_beside_it_is_saved_as_it_reads(tmp_path):
    """A pen's stray touch beside a digit is no digit: the reading shows one digit, and the
    sample is saved (the save counts digits as the reading does)."""
    store = SampleStore(tmp_path / "samples")
    screen = Screen(samples=store)
    screen.draw(1, place=(0, 2))
    screen.drag([(0.9, 0.5)])  # a dot, well apart
    read_now(screen.state)
    assert len(screen.state.reading.digits) == 1
    screen.save("1")
    (sample,), _ = store.load_all()
    assert sample.label == 1 and len(sample.strokes) == 2


def test_a_digit_key_saves_the_drawing_as_a_sample_and_clears_the_canvas(tmp_path):
    store = SampleStore(tmp_path / "samples")
    screen = Screen(samples=store)
    screen.draw(7)
    drawing = screen.state.drawing
    strokes, size = [s.copy() for s in drawing.strokes], screen.layout.canvas.size
    image = to_mnist(render_strokes(strokes, size, drawing.brush), invert=False)
    screen.save("7")

    (sample,), warnings = store.load_all()
    assert warnings == [] and sample.label == 7 and sample.path.parent == tmp_path / "samples"
    assert len(sample.strokes) == len(strokes)
    assert all(np.array_equal(a, b) for a, b in zip(sample.strokes, strokes, strict=True))
    np.testing.assert_array_equal(sample.image, image)
    assert sample.canvas_size == size and sample.brush == drawing.brush
    status = screen.state.teaching.status
    assert status.text == "saved as 7 - 1 seven saved; Z takes it back" and not status.error
    assert logged(screen.state) == [f"sample digit=7 path={sample.path}"]
    # ready for the next one, and the blank canvas read
    assert drawing.blank and screen.state.reading == BLANK


def test_counts_start_from_the_store_and_follow_each_sample(tmp_path):
    store = SampleStore(tmp_path)
    store.save(DIGITS[1], np.zeros((28, 28), np.float32), 1, canvas_size=(300, 300))
    screen = Screen(samples=store)
    teaching = screen.state.teaching
    assert teaching.counts == [0, 1] + [0] * 8
    for _ in range(2):
        screen.draw(4)
        screen.save("6")  # the label is whatever the person says it is
    assert teaching.counts == store.counts() == [0, 1, 0, 0, 0, 0, 2, 0, 0, 0]
    assert teaching.status.text == "saved as 6 - 2 sixes saved; Z takes it back"
    assert samples_line(teaching.counts, 10**6, 1.0) == "samples saved: 1 one, 2 sixes"
    assert samples_line(teaching.counts, 100, 1.0) == "samples saved: 1:1 6:2"  # a narrow window
    assert samples_line([0] * 10, 10**6, 1.0) == ""  # none yet: no line


def test_a_digit_key_on_a_blank_canvas_saves_nothing_and_says_so(tmp_path):
    store = SampleStore(tmp_path / "samples")
    screen = Screen(samples=store)
    version = screen.state.version
    screen.save("3")
    status = screen.state.teaching.status
    assert not store.folder.exists() and screen.state.teaching.counts == [0] * 10
    assert status.text.startswith("nothing to save") and status.error
    assert screen.state.version > version
    assert logged(screen.state) == [f"sample refused reason={status.text}"]


def test_a_sample_that_cannot_be_written_is_reported_and_the_drawing_kept(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    screen = Screen(samples=SampleStore(blocker))
    screen.draw(1)
    screen.save("1")
    status = screen.state.teaching.status
    assert status.text.startswith(f"not saved: cannot save the sample in {blocker}")
    assert status.error and len(screen.state.drawing.strokes) == 1
    assert any(line.startswith("sample failed error=") for line in logged(screen.state))


def test_without_a_store_or_a_fine_tuner_their_keys_say_they_are_off():
    screen = Screen()
    screen.draw(1)
    screen.save("1")
    assert screen.state.teaching.status.text == "saving samples is off"
    screen.press("f")
    assert screen.state.teaching.status.text == "fine-tuning is off"
    assert len(screen.state.drawing.strokes) == 1


def test_the_status_shows_above_the_samples_and_errors_stand_out(tmp_path):
    screen = Screen(samples=SampleStore(tmp_path))
    top, bottom = status_lines(screen.layout)
    screen.save("5")  # nothing drawn
    assert shows(screen.frame(), bottom, ERROR)
    screen.draw(1)
    screen.save("1")
    frame = screen.frame()
    assert shows(frame, bottom, TEXT) and not shows(frame, bottom, ERROR)
    assert not shows(frame, top, TEXT)
