"""Checks of enhance-throttler (``THR-*``), one module per concept; importing the package
registers them.

The target names under ``[throttling]`` a route limited per client address
(``limited``: its path, limit and TTL in seconds), whose own limit overrides its
controller's; two routes of that controller on the controller's limit
(``controller_default`` with the limit and TTL, ``controller_sibling``); and a route
marked to skip rate limiting (``unlimited``); a token-bucket route (``burst``: its path,
capacity and refill per second); a route limited per second (``per_second``). Checks
count their own requests and wait out windows with the target's own Retry-After, so a
target whose window is already partly used by an earlier check is judged on the same
terms.
"""

from apiconform.conformance.checks.throttling import (
    burst,
    decorators,
    headers,
    skipping,
    strategies,
    windows,
)

__all__ = ["burst", "decorators", "headers", "skipping", "strategies", "windows"]
