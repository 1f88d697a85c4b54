"""A source-traced map of the Syrian opposition offensive of 27 Nov - 6 Dec 2024."""

__version__ = "0.1.0"
