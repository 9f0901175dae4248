"""Hygie: an open-source platform to run a national health data hub."""

__version__ = "0.1.0"
