"""Error monitoring, in one import: error events, and reporters that send them to a webhook
(:mod:`.webhook`) or to Sentry (:mod:`.sentry`).

The exception pipeline builds one :class:`ErrorEvent` per server error and hands it to each
configured :class:`ErrorReporter`. ``report()`` is a plain function that only queues or
hands off the event: a slow or dead monitoring service never delays a response.
"""

from apiconform.reference.errors.events import ErrorEvent, ErrorReporter, Severity
from apiconform.reference.errors.sentry import SentryReporter
from apiconform.reference.errors.webhook import (
    EVENT_HEADER,
    SIGNATURE_HEADER,
    WebhookReporter,
    sign,
    verify_signature,
)

__all__ = [
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "ErrorEvent",
    "ErrorReporter",
    "SentryReporter",
    "Severity",
    "WebhookReporter",
    "sign",
    "verify_signature",
]
