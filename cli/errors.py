"""Errors of the command line."""


class CommandError(Exception):
    """A command that cannot be carried out; printed as `error: ...` with exit status 1."""
