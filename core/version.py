"""The software's version, as NodeInfo and the client API report it (kept equal to pyproject's)."""

SOFTWARE_VERSION = "0.1.0"
