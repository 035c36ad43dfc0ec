"""The published folder's contract: every path, its pattern and cache class, the file list, and
the JSON Schemas a frontend relies on. Pure data and functions: no database, no network."""
