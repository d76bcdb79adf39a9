"""The benchmark's one Django app: authors and their notes."""
