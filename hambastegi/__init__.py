"""Hambastegi's composition root: the only package that wires every layer together."""

from core.version import SOFTWARE_VERSION

__version__ = SOFTWARE_VERSION
