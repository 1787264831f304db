"""The demo app: controllers that exercise every feature (the probe API)."""
