"""Infrastructure the parts share: serving an ASGI app, structured logs, config messages."""
