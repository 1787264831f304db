"""Providers of the demo app: one probe per lifetime."""

from __future__ import annotations

import uuid

from apiconform.reference.kernel import service


@service(lifetime="scoped")
class RequestProbe:
    """One instance per request scope; its id shows whether two resolutions shared it."""

    def __init__(self) -> None:
        self.id = uuid.uuid4().hex


@service(lifetime="singleton")
class AppProbe:
    """One instance per application."""

    def __init__(self) -> None:
        self.id = uuid.uuid4().hex


@service(lifetime="transient")
class TransientProbe:
    """A new instance at every resolution."""

    def __init__(self) -> None:
        self.id = uuid.uuid4().hex
