"""The window side: runs the window bus against the queue; the software caller."""
