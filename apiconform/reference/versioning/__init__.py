"""API versioning (the add-api-versioning proposal): ``@version`` on controllers and
routes, URI, header and media-type strategies, deprecation headers and sunsets, and one
OpenAPI document per version, plugged into the kernel as the :class:`Versioning` feature."""

from apiconform.reference.versioning.config import VersionConfig, VersioningConfig
from apiconform.reference.versioning.decorator import version, version_neutral
from apiconform.reference.versioning.feature import Versioning

__all__ = ["VersionConfig", "Versioning", "VersioningConfig", "version", "version_neutral"]
