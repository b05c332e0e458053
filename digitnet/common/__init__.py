"""What every layer uses: the digits' names, errors, paths, crash-safe writes, typed records and
their range checks, strokes and their brush. Imports nothing of digitnet but digitnet itself."""
