"""digitnet: real-time handwritten digit recognition with small PyTorch CNNs."""

__version__ = "0.1.0"


class DigitnetError(Exception):
    """An error a user can act on; the CLI prints it as one line and exits non-zero."""
