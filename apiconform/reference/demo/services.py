"""Providers of the demo app: one probe per lifetime, and the database."""

from __future__ import annotations

import uuid

from apiconform.reference.kernel import AppConfig, service
from apiconform.reference.store.database import Database, open_database


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


async def database(config: AppConfig) -> Database:
    """The app's database, tables created on first use; closed when the app is disposed."""
    return await open_database(config.database.url, schema=config.database.schema_name)
