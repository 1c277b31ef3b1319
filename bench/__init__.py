"""Benchmarks: `make bench` (python -m bench) measures each target side by side with its reference
in one run and rewrites docs/benchmarks.md. Loopback only; nothing here runs in the test suite."""
