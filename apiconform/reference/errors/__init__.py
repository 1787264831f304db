"""Error handling (the add-error-handling proposal): RFC 9457 problems, exception filters,
the error and body-limit middleware, resilience helpers and error reporters, plugged into
the kernel as the :class:`ErrorHandling` feature."""

from apiconform.reference.errors.config import ErrorsConfig
from apiconform.reference.errors.feature import ErrorHandling

__all__ = ["ErrorHandling", "ErrorsConfig"]
