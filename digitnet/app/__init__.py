"""The real-time app: one OpenCV window where a person draws (or holds paper up to a camera)
and sees what the network reads, live.

`window` is the thin loop that touches OpenCV's window; everything else here is plain state
and numpy rendering, testable without a window. The model never runs on the window's thread
(`workers`).
"""
