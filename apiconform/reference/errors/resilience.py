"""Error recovery, in one import: which errors are transient, retry, circuit breaker and
fallback responses.

* :func:`is_transient` (in :mod:`.classify`) classes an error as worth retrying (a lost
  connection, a timeout, a deadlock or serialization failure) or not (a constraint
  violation, bad input, a 4xx).
* :func:`retry` (:mod:`.retry`) retries transient failures with capped exponential backoff,
  one warning line per retry, and re-raises the last error unchanged.
* :class:`CircuitBreaker` (:mod:`.breaker`) fails fast while a dependency keeps failing and
  probes it again after a timeout; :class:`CircuitRegistry` lists the breakers.
* :func:`fallback` (:mod:`.fallback`) answers a route from its last good result or a
  default, flagged with ``X-Degraded-Mode: true``, while its dependency is unavailable.
"""

from apiconform.common.redaction import redact_text
from apiconform.reference.errors.breaker import (
    CircuitBreaker,
    CircuitOpenError,
    CircuitRegistry,
    CircuitState,
)
from apiconform.reference.errors.classify import (
    OncePerInterval,
    error_summary,
    is_failure,
    is_transient,
)
from apiconform.reference.errors.fallback import DEGRADED_HEADER, degrades, fallback
from apiconform.reference.errors.retry import ExponentialBackoff, retry

__all__ = [
    "DEGRADED_HEADER",
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitRegistry",
    "CircuitState",
    "ExponentialBackoff",
    "OncePerInterval",
    "degrades",
    "error_summary",
    "fallback",
    "is_failure",
    "is_transient",
    "redact_text",
    "retry",
]
