"""Keyed pseudonymisation: per-project keys, pseudonyms computed inside the engine, oppositions."""
