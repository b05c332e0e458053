"""What a digit is to digitnet, named once: the classes, the network's input size and the
version of the canvas transform that makes its inputs.

Torch-free, so the app and the CLI can use it without importing the model stack.
"""

NUM_CLASSES = 10  # the digits 0-9
IMAGE_SIZE = 28  # the network sees IMAGE_SIZE x IMAGE_SIZE images, as MNIST's
# digitnet.reading.preprocess's transform; weights and samples record the one that made theirs
TRANSFORM_VERSION = 1
DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
