"""Persistence: SQLAlchemy async engine, models and repositories."""
