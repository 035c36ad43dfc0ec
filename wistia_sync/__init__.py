"""wistia-sync: mirror a Wistia account into SQLite and publish static JSON playlists."""

__version__ = "0.1.0"
