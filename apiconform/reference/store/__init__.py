"""Persistence: SQLAlchemy async engine, models and repositories, and the store feature."""

from apiconform.reference.store.config import DatabaseConfig
from apiconform.reference.store.database import Database, open_database
from apiconform.reference.store.feature import Store

__all__ = ["Database", "DatabaseConfig", "Store", "open_database"]
