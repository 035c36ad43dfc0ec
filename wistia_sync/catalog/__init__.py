"""The catalog in the database: what "published" means, tags, reading videos, editors' changes."""
