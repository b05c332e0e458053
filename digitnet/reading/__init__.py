"""From ink to a reading: the canvas transform, specks, grouping strokes, finding digits on
paper, candidate parts and the reading chosen among them. Imports only digitnet.common."""
