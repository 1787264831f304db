"""Mock factories: a mock OAuth server, respx routes, Redis and data factories."""
