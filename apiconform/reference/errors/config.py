"""The ``[errors]`` config section."""

from __future__ import annotations

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr


class ErrorsConfig(BaseModel):
    """Error handling: the request body limit and where server errors are reported."""

    model_config = ConfigDict(extra="forbid")

    body_limit: int = Field(default=10 * 1024 * 1024, gt=0)
    webhook_urls: list[AnyHttpUrl] = Field(default_factory=list)
    webhook_secret: SecretStr | None = None
    sentry_dsn: SecretStr | None = None
