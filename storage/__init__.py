"""Persistence plumbing: the declarative base, engines and transactions. No domain logic."""
