"""Storage: the schema, the engine and migrations, and the article archive."""
