"""Purge what a publish changed from the CDN: the providers, the planner, and the owed paths."""
