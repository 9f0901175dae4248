"""The synthetic SNDS."""

GENERATOR = "hygie.synth"  # the manifest's source: how readers tell synthetic data apart
