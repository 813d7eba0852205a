"""`digest serve`: the reader-facing web service."""
