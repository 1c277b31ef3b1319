"""Shared kernel: settings, clock, ids and our own URIs. Imports nothing of ours."""
