"""Publishing social posts to Mastodon, Bluesky and X, exactly once."""
