"""Counters shared by every process: rate limits kept in the database."""
