"""The version of digest: written here once (the build reads it too)."""

__version__ = "0.1.0"
