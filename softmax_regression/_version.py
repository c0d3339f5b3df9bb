"""The package's version, in a module of its own so that no module inside
the package imports its ``__init__`` back to read it."""

__version__ = "0.1.0"
