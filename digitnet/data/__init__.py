"""The data sets (MNIST, pen digits, scans, non-digits), the training mixture, the user's
samples and the generators. Imports digitnet.reading (the canvas transform) and common."""
