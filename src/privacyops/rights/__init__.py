"""Data subject rights requests."""
