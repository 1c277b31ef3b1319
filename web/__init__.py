"""HTML pages, well-known endpoints and HTTP middleware."""
