"""The one SQLite file: opening it safely, its migrations, its state table, and the lock files."""
