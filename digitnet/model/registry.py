"""The names of the registered networks and the range of the dropout they take, torch-free: the
command line offers them (`digitnet train --help` needs no torch) and digitnet.model.networks
registers a network under each name.
"""

from digitnet.common.argtypes import float_range

MODEL_NAMES = ("simple", "improved")
DROPOUT = float_range(0, 1, high_inclusive=False)
