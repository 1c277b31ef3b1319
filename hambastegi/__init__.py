"""Hambastegi's composition root: the only package that wires every layer together."""

__version__ = "0.1.0"
