"""The reference server: a compact ASGI implementation of every proposal."""
