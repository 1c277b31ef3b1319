"""The per-instance container: settings, database, HTTP client, clock and caches."""
