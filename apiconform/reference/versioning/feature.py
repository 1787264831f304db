"""Versioning as a feature: the ``[versioning]`` section, the route transform that
registers versioned routes once per version, the middleware at the versioning layer and
the documentation routes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.types import ASGIApp

from apiconform.reference.errors.exceptions import Gone
from apiconform.reference.kernel.feature import Contribution, Guard, Layer, Middleware, RouteDef
from apiconform.reference.versioning.config import VersioningConfig
from apiconform.reference.versioning.controller import documentation_controller
from apiconform.reference.versioning.deprecation import Clock, DeprecationWarnings, sunset_passed
from apiconform.reference.versioning.middleware import (
    SUCCESSOR_SCOPE_KEY,
    VERSION_SCOPE_KEY,
    VersioningMiddleware,
    restore_client_path,
)
from apiconform.reference.versioning.openapi import Documents
from apiconform.reference.versioning.table import VersionTable

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application


class Versioning:
    """API versioning (the add-api-versioning proposal). ``clock`` (Unix seconds) decides
    when a sunset has passed and when a deprecation warning may be logged again."""

    name = "versioning"

    def __init__(
        self,
        *,
        clock: Clock = time.time,
        config_model: type[VersioningConfig] = VersioningConfig,
    ) -> None:
        self.clock = clock
        self.config_model = config_model

    def setup(self, app: Application, config: VersioningConfig) -> Contribution:
        table = VersionTable(config)
        warnings = DeprecationWarnings(config.warning_interval, self.clock)
        documents = Documents(config, title=f"apiconform: {app.id}", clock=self.clock)

        def middleware(inner: ASGIApp) -> ASGIApp:
            return VersioningMiddleware(inner, table=table, warnings=warnings)

        def attach(assembled: Application) -> None:
            documents.http = assembled.http

        return Contribution(
            controllers=[documentation_controller(documents, config)],
            middleware=[Middleware(Layer.VERSIONING, middleware, "versioning")],
            route_transforms=[table.transform],
            guards=[SunsetGuard(config, self.clock).for_route],
            # the feature serves the documents itself, one per version
            http_options={"openapi_url": None, "docs_url": None},
            on_assembled=[attach],
        )


class SunsetGuard:
    """Runs once a request is routed: its handler (and the problems it raises) see the
    path the client asked for, not the versioned path it was routed to; a version past
    its sunset is refused with 410 when blocking is on."""

    def __init__(self, config: VersioningConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    def for_route(self, definition: RouteDef) -> Guard:
        return self.check

    async def check(self, request: Request) -> None:
        scope = request.scope
        restore_client_path(scope)
        resolution = scope.get(VERSION_SCOPE_KEY)
        if resolution is None or not self.config.block_after_sunset:
            return
        version = resolution.version
        if sunset_passed(self.config, version, self.clock()):
            successor = self.config.versions[version].successor
            raise Gone(
                f"version {version} was retired; use version {successor}",
                extensions={"supportedVersions": self.config.supported},
                headers={"Link": f'<{scope[SUCCESSOR_SCOPE_KEY]}>; rel="successor-version"'},
            )
