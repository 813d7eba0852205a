"""digest: news articles in, a daily newsletter and exact social copy out."""

__version__ = "0.1.0"
