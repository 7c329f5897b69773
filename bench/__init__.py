"""`make bench`: every page timed at bank scale on SQLite and PostgreSQL (see BENCHMARKS.md)."""
