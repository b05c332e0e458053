"""What a line of writing is to the line reader, named once: the network that reads it
(digitnet.model.sequence), the lines cut from a page for it (digitnet.reading.lines), its
outputs read back (digitnet.reading.read_lines) and the pages written to train it
(digitnet.data.pages) all share these.
"""

LINE_HEIGHT = 28  # the reader's input: a line's image is this many pixels high (its digits
# about MNIST's 20; more costs training and reading time as its square)
COLUMN_STEP = 4  # the reader gives an output column per this many pixels of the line's width
SEPARATORS = ".,-/"
NOT_DIGIT = "?"  # a character that is not a digit: its reading is "not a digit"
ALPHABET = "0123456789" + SEPARATORS + NOT_DIGIT  # output k + 1 is ALPHABET[k]
CTC_BLANK = 0  # the output that is no character (CTC's blank)


def encode(text: str) -> list[int]:
    """A line's text as CTC targets (ALPHABET's outputs)."""
    return [ALPHABET.index(c) + 1 for c in text]
