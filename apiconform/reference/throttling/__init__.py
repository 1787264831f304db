"""Rate limiting (the enhance-throttler proposal): ``@rate_limit`` and ``@skip_rate_limit``,
key strategies, memory and Redis storages, rate-limit headers and 429 problems, plugged
into the kernel as the :class:`Throttling` feature."""

from apiconform.reference.throttling.config import ThrottlingConfig
from apiconform.reference.throttling.decision import ThrottlerException
from apiconform.reference.throttling.feature import Throttling
from apiconform.reference.throttling.policy import rate_limit, skip_rate_limit
from apiconform.reference.throttling.storage import MemoryStorage, ThrottlerStorage

__all__ = [
    "MemoryStorage",
    "ThrottlerException",
    "ThrottlerStorage",
    "Throttling",
    "ThrottlingConfig",
    "rate_limit",
    "skip_rate_limit",
]
