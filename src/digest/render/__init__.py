"""Render: Digest -> email (HTML + text) and Article/Story -> social posts."""
