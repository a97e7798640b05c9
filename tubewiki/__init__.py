"""tubewiki: turn YouTube videos into a linked Markdown wiki."""

__version__ = "0.1.0"
