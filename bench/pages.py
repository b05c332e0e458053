"""Page benchmark: numbers written on generated pages by writers no reader learnt from, read by
predict, the line reader, today's reader, PaddleOCR's PP-OCRv4 recognizer and Tesseract, side by
side.

Each page is a 640x480 photo or scan (digitnet.data.pages) of one writer's numbers of 1-10
digits: MNIST test digits, CVL's validation writers, pendigits' benchmark writers and UNIPEN's
benchmark collections, in ink, with BENCHMARK_STRINGS and BENCHMARK_PAGES (ranges, pen and
security patterns of their own; training never used either) and this benchmark's own seed.
Pages come in groups, COUNT each: clean paper; each page condition alone (paper texture,
ruled lines, squared paper, a security pattern, a shadow, blur, noise, JPEG, a low resolution,
light ink on dark); tilted 3-10, 10-20 and 20-30 degrees; digits touching and overlapping;
separators (1,234.56, 12/05/2026, 555-1234, 3/4); two and three lines; everything at once
(each condition with its own chance, any tilt up to 30 degrees, 1-3 lines); and lines of
letters and doodles that are not digits, which a reader should refuse.

The readers, all with forced choice (no reject threshold):
- predict: its --reader auto (digitnet.cli.choose): the line reader, a lone mark read by the
  digit network;
- the line reader: digitnet.reading.lines finds the lines, digitnet.reading.read_lines reads each;
- today's reader: digitnet.reading.read.read_canvas on the whole page (predict's path before);
- PaddleOCR's PP-OCRv4 recognizer (rapidocr-onnxruntime; recognition only, one thread) and
  Tesseract (--psm 7, digits and . , - / only), each on the same line crops, as the page
  shows them, turned level (digitnet.reading.crops.line_crop).
A page is read right when its lines' digits (separators dropped) are exactly its numbers, in
order; a page of letters when nothing is read as a number on it. By length: lines read right,
by their digits. Timing: finding the lines and reading them, per page, one torch thread.

    python bench/pages.py --lines-weights weights/lines.pt
    python bench/pages.py --lines-weights runs/lines/lines.pt --fold tune --count 40
"""

from __future__ import annotations

import importlib
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from common import (
    HANDWRITING_SEED,
    add_data_dir,
    add_fold,
    add_weights,
    parser_for,
    percentiles,
)

from digitnet import DigitnetError
from digitnet.cli.choose import FileReading, Readers, read_image_with
from digitnet.common.argtypes import positive_int
from digitnet.common.errors import run_entry_point
from digitnet.common.line_format import NOT_DIGIT
from digitnet.data.hands import Hands, load_hands
from digitnet.data.pages import Page, PageSpec, make_page, pick_spec
from digitnet.data.paper import BENCHMARK_PAGES, CONDITIONS, TRAINING_PAGES, PageStyle
from digitnet.data.sources import DIGIT_SOURCES, Lookup, load_fold, seen_groups
from digitnet.data.strings import BENCHMARK_STRINGS, TRAINING_STRINGS, StringStyle, pick_text
from digitnet.data.strokes import APP_STYLE
from digitnet.model.classifier import Classifier
from digitnet.model.sequence import SequenceReader
from digitnet.reading.crops import line_crop
from digitnet.reading.lines import Lines, find_lines
from digitnet.reading.read import read_canvas, read_digit
from digitnet.reading.read_lines import read_lines, read_page

SEEDS = {"benchmark": 2525, "tune": 2524}  # this benchmark's own, apart from training's
PAGE = (640, 480)
COUNT = 60  # pages per group
LEVEL = 3.0  # pages not tilted on purpose are tilted up to this many degrees either way
TILTS = {"tilt 3-10": (3.0, 10.0), "tilt 10-20": (10.0, 20.0), "tilt 20-30": (20.0, 30.0)}
SEPARATED = {"grouped": 0.3, "decimal": 0.3, "date": 0.2, "dashed": 0.1, "fraction": 0.1}
GROUPS = ("clean", *CONDITIONS, *TILTS, "touching", "overlapping", "separators", "two lines",
          "three lines", "everything", "not digits")
READERS = ("predict", "line reader", "today's reader", "PaddleOCR", "Tesseract")
TESSERACT = ["tesseract", "stdin", "stdout", "--psm", "7", "-c",
             "tessedit_char_whitelist=0123456789.,-/"]


@dataclass(frozen=True)
class Styles:
    """The writers and styles of a fold: the benchmark's own, or training's for tuning."""

    strings: StringStyle
    pages: PageStyle


def styles(fold: str) -> Styles:
    if fold == "benchmark":
        return Styles(BENCHMARK_STRINGS, BENCHMARK_PAGES)
    return Styles(replace(TRAINING_STRINGS, others=0.0),
                  replace(TRAINING_PAGES, size=PAGE, margin=BENCHMARK_PAGES.margin,
                          height=BENCHMARK_PAGES.height))


def group_spec(group: str, rng: np.random.Generator, style: Styles) -> PageSpec:
    """A page of a group: its condition alone on a page otherwise clean, level within LEVEL
    degrees, one line of 1-10 digits spaced naturally."""
    def number(strings: StringStyle = style.strings) -> str:
        return pick_text(rng, int(rng.integers(1, 11)), strings)

    level = float(rng.uniform(-LEVEL, LEVEL))
    if group == "everything":
        spec = pick_spec(rng, style.strings, replace(style.pages, lines={1: 0.5, 2: 0.3, 3: 0.2},
                                                     tilt=30.0))
        return replace(spec, spacing=str(rng.choice(["natural", "touching", "overlapping"])))
    if group == "not digits":
        return PageSpec((NOT_DIGIT * int(rng.integers(1, 8)),), "natural", level)
    if group in TILTS:
        low, high = TILTS[group]
        tilt = float(rng.uniform(low, high) * rng.choice([-1, 1]))
        return PageSpec((number(),), "natural", tilt)
    if group in ("touching", "overlapping"):
        return PageSpec((number(),), group, level)
    if group == "separators":
        return PageSpec((number(replace(style.strings, formats=SEPARATED)),), "natural", level)
    if group in ("two lines", "three lines"):
        return PageSpec(tuple(number() for _ in range(2 if group == "two lines" else 3)),
                        "natural", level)
    conditions = frozenset() if group == "clean" else frozenset({group})
    return PageSpec((number(),), "natural", level, conditions)


def make_pages(hands: Hands, fold: str, count: int) -> list[tuple[str, Page]]:
    """`count` pages of every group, from the fold's seed."""
    style = styles(fold)
    rng = np.random.default_rng(SEEDS[fold])
    pages = []
    for group in GROUPS:
        strings = replace(style.strings, others=1.0) if group == "not digits" else style.strings
        for _ in range(count):
            spec = group_spec(group, rng, style)
            pages.append((group, make_page(rng, hands, spec, strings, style.pages)))
    return pages


def digits_of(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


@dataclass
class Read:
    """What one reader made of one page: its lines' digits, and the seconds it took."""

    numbers: list[str]
    seconds: float = 0.0


Reader = Callable[[Page, Lines], Read]


def line_reader(reader: SequenceReader) -> Reader:
    def read(page: Page, _: Lines) -> Read:
        started = time.perf_counter()
        lines = find_lines(page.image)
        read = read_lines(reader, lines)
        seconds = time.perf_counter() - started
        return Read(numbers_of(FileReading(read.reading, read.lines)), seconds)

    return read


def predict_reader(readers: Readers) -> Reader:
    """predict's own path: --reader auto (digitnet.cli.choose)."""
    def read(page: Page, _: Lines) -> Read:
        started = time.perf_counter()
        numbers = numbers_of(read_image_with(readers, page.image, "auto", None))
        return Read(numbers, time.perf_counter() - started)

    return read


def numbers_of(read: FileReading) -> list[str]:
    """The numbers read, line after line (lines of letters left out)."""
    if read.lines:
        return [digits_of(line.text) for line in read.lines if not line.rejected]
    return [read.reading.number] if read.reading.number else []


def todays_reader(classifier: Classifier) -> Reader:
    def read(page: Page, _: Lines) -> Read:
        started = time.perf_counter()
        number = read_canvas(classifier, page.image).number
        return Read([number] if number else [], time.perf_counter() - started)

    return read


def paddle_reader() -> Reader:
    """PaddleOCR's PP-OCRv4 recognizer from rapidocr-onnxruntime's wheel, one thread."""
    try:  # imported by name: an optional package, without type hints
        package = importlib.import_module("rapidocr_onnxruntime")
        recognition = importlib.import_module("rapidocr_onnxruntime.ch_ppocr_rec")
    except ImportError:
        raise DigitnetError("PaddleOCR's recognizer needs `pip install rapidocr-onnxruntime` "
                            "(a benchmark-only dependency)") from None
    model = Path(str(package.__file__)).parent / "models" / "ch_PP-OCRv4_rec_infer.onnx"
    recognizer = recognition.TextRecognizer({
        "model_path": str(model), "rec_img_shape": [3, 48, 320], "rec_batch_num": 6,
        "intra_op_num_threads": 1, "inter_op_num_threads": 1, "use_cuda": False,
        "use_dml": False})

    def read(page: Page, lines: Lines) -> Read:
        crops = [cv2.cvtColor(line_crop(page.image, lines, line), cv2.COLOR_GRAY2BGR)
                 for line in lines.lines]
        started = time.perf_counter()
        texts = [text for text, _ in recognizer(crops)[0]] if crops else []
        return Read([d for text in texts if (d := digits_of(text))],
                    time.perf_counter() - started)

    return read


def tesseract_reader() -> Reader:
    def read(page: Page, lines: Lines) -> Read:
        numbers, seconds = [], 0.0
        for line in lines.lines:
            png = cv2.imencode(".png", line_crop(page.image, lines, line))[1].tobytes()
            started = time.perf_counter()
            try:
                done = subprocess.run(TESSERACT, input=png, capture_output=True, check=True,
                                      timeout=30)
            except (OSError, subprocess.SubprocessError) as e:
                raise DigitnetError(f"tesseract failed: {e}") from None
            seconds += time.perf_counter() - started
            if digits := digits_of(done.stdout.decode(errors="replace")):
                numbers.append(digits)
        return Read(numbers, seconds)

    return read


def right(group: str, page: Page, read: Read) -> bool:
    """Read exactly: its lines' numbers in order; for letters, no number at all."""
    if group == "not digits":
        return not read.numbers
    return read.numbers == [digits_of(line.text) for line in page.lines]


def lines_right(page: Page, read: Read) -> list[tuple[int, bool]]:
    """Per true line, its digits' count and whether a line was read as exactly its number, in
    its place (all lines, when as many were read as written; else each number found)."""
    truth = [digits_of(line.text) for line in page.lines]
    if len(read.numbers) == len(truth):
        return [(len(t), t == r) for t, r in zip(truth, read.numbers, strict=True)]
    return [(len(t), t in read.numbers) for t in truth]


def seen_writers(learned: tuple[object, ...], name: str, lookup: Lookup, fold: str) -> str:
    """What weights learnt of the fold's digit sources' writers or collections, in words
    ("" for nothing)."""
    for source in DIGIT_SOURCES:
        seen = seen_groups(learned, load_fold(source, fold, lookup))  # type: ignore[arg-type]
        if seen:
            return (f"{name} learnt {len(seen)} {source} writers of the {fold} fold "
                    f"({', '.join(seen[:3])}...)")
    return ""


def report(pages: list[tuple[str, Page]], results: dict[str, list[Read]]) -> str:
    names = list(results)
    head = f"{'group':<14}" + "".join(f"{n:>16}" for n in names)
    rows = [head, "-" * len(head)]
    for group in GROUPS:
        chosen = [i for i, (g, _) in enumerate(pages) if g == group]
        cells = [float(np.mean([right(group, pages[i][1], results[n][i]) for i in chosen]))
                 for n in names]
        rows.append(f"{group:<14}" + "".join(f"{100 * c:>15.1f}%" for c in cells))
    digits = [i for i, (g, _) in enumerate(pages) if g != "not digits"]
    cells = [float(np.mean([right(pages[i][0], pages[i][1], results[n][i]) for i in digits]))
             for n in names]
    rows.append(f"{'all numbers':<14}" + "".join(f"{100 * c:>15.1f}%" for c in cells))
    rows += ["", "lines read exactly, by digits (all groups but letters):", head]
    for length in range(1, 11):
        cells = [line_share(pages, results[n], length, length) for n in names]
        rows.append(f"{length:<14}" + "".join(f"{100 * c:>15.1f}%" for c in cells))
    cells = [line_share(pages, results[n], 2, 10) for n in names]
    rows.append(f"{'2-10':<14}" + "".join(f"{100 * c:>15.1f}%" for c in cells))
    rows += ["", "seconds per page (reading; the line reader with finding its lines): "
             + ", ".join(f"{n} {percentiles([r.seconds for r in results[n]], '.1f', 'median')}"
                         for n in names)]
    return "\n".join(rows)


def line_share(pages: list[tuple[str, Page]], reads: list[Read], low: int, high: int) -> float:
    found = [ok for (group, page), read in zip(pages, reads, strict=True)
             if group != "not digits" for n, ok in lines_right(page, read) if low <= n <= high]
    return float(np.mean(found)) if found else float("nan")


def single_digits(lines_model: SequenceReader, classifier: Classifier, lookup: Lookup,
                  fold: str) -> str:
    """The real-handwriting benchmark's single digits (bench/real_handwriting.py: pen digits
    drawn on the app's canvas, CVL's scans), read by today's path (reading.read.read_digit), by the
    line reader (right when it reads one line, of exactly that digit) and by predict's."""
    rows = [f"single digits of the {fold} fold, as bench/real_handwriting.py draws them:"]
    readers = Readers(classifier, lines_model)
    for source in ("pendigits", "unipen-digits", "cvl"):
        loaded = load_fold(source, fold, lookup)
        invert = loaded.dark_ink(APP_STYLE)
        today = lines = auto = 0
        for page, label in zip(loaded.pages(APP_STYLE, HANDWRITING_SEED), loaded.labels,
                               strict=True):
            today += read_digit(classifier, page, invert).prediction.digit == label
            read = read_page(lines_model, page, invert)
            lines += [digits_of(line.text) for line in read.lines] == [str(label)]
            chosen = read_image_with(readers, page, "auto", invert)
            auto += numbers_of(chosen) == [str(label)]
        rows.append(f"  {source:<14} today's reader {100 * today / len(loaded):.2f} %, "
                    f"the line reader {100 * lines / len(loaded):.2f} %, predict "
                    f"{100 * auto / len(loaded):.2f} % of {len(loaded)}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = parser_for(__doc__)
    parser.add_argument("--lines-weights", required=True, help="the line reader's weights")
    add_weights(parser, "today's reader's weights (default: the best shipped)")
    add_fold(parser, "the writers and styles to read (tune: to choose on)")
    parser.add_argument("--count", type=positive_int, default=COUNT,
                        help=f"pages per group (default {COUNT})")
    parser.add_argument("--readers", nargs="+", choices=READERS, default=list(READERS),
                        metavar="READER", help=f"which to run (default all: {', '.join(READERS)})")
    parser.add_argument("--single", action="store_true",
                        help="also read the real-handwriting benchmark's single digits")
    add_data_dir(parser)
    args = parser.parse_args(argv)
    lookup = Lookup(args.data_dir)
    lines_model = SequenceReader.load(args.lines_weights, reject=False)
    classifier = Classifier.load(args.weights, reject=False)
    for learned, name, judged in [(lines_model.metadata.learned_from, args.lines_weights, True),
                                  (classifier.metadata.learned_from, str(classifier.path),
                                   args.fold == "benchmark")]:
        if seen := seen_writers(learned, name, lookup, args.fold):
            if judged:  # its figure would not measure unseen writers
                raise DigitnetError(f"{seen}: no figure on unseen writers")
            print(f"note: {seen}; its figures there are no measure of unseen writers")
    pages = make_pages(load_hands(args.fold, lookup), args.fold, args.count)
    makers = {"predict": lambda: predict_reader(Readers(classifier, lines_model)),
              "line reader": lambda: line_reader(lines_model),
              "today's reader": lambda: todays_reader(classifier),
              "PaddleOCR": paddle_reader, "Tesseract": tesseract_reader}
    readers = {name: makers[name]() for name in READERS if name in args.readers}
    results: dict[str, list[Read]] = {name: [] for name in readers}
    for _, page in pages:
        lines = find_lines(page.image)
        for name, reader in readers.items():
            results[name].append(reader(page, lines))
    print(f"{len(pages)} pages of the {args.fold} fold ({args.count} per group), "
          f"{PAGE[0]}x{PAGE[1]}; the line reader {args.lines_weights}, today's reader "
          f"{classifier.path}; pages read exactly:")
    print(report(pages, results))
    if args.single:
        print(single_digits(lines_model, classifier, lookup, args.fold))
    return 0


if __name__ == "__main__":
    raise SystemExit(run_entry_point(main))
