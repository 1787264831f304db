"""The requirement catalog: every requirement and scenario of the seven proposals, by ID."""

from apiconform.spec.catalog import (
    AREAS,
    PROPOSALS,
    Catalog,
    CatalogError,
    Level,
    Observed,
    Requirement,
    load_catalog,
)

__all__ = [
    "AREAS",
    "PROPOSALS",
    "Catalog",
    "CatalogError",
    "Level",
    "Observed",
    "Requirement",
    "load_catalog",
]
