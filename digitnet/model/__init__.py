"""The networks, their registry, weights files and the classifier that loads them. Imports only
digitnet.common (docs/architecture.md lists what is still left to untangle)."""
