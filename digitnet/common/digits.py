"""What a digit is to digitnet, named once: the classes and the network's input size.

Torch-free, so the app and the CLI can use it without importing the model stack.
"""

NUM_CLASSES = 10  # the digits 0-9
IMAGE_SIZE = 28  # the network sees IMAGE_SIZE x IMAGE_SIZE images, as MNIST's
DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
