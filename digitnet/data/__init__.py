"""The data sets (MNIST, pen digits, scans, non-digits), the training mixture, the user's
samples and the generators. Imports digitnet.reading.read (the canvas transform) and common."""
