"""Error handling as a feature of the kernel (the add-error-handling proposal).

It contributes the application's error handler (the :class:`ExceptionPipeline`), which
then answers every exception: those of the routes (through the kernel's route class) and
those raised outside them (unknown route 404, wrong method 405, a failing middleware),
which reach the errors-layer middleware (the last-resort catcher outside the body limit);
and the webhook and Sentry reporters, and their shutdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.types import ASGIApp

from apiconform.errors import ConfigError
from apiconform.reference.errors.config import ErrorsConfig
from apiconform.reference.errors.middleware import BodyLimitMiddleware, ErrorMiddleware
from apiconform.reference.errors.pipeline import ExceptionPipeline, reporters_from_config
from apiconform.reference.kernel.di import DIError
from apiconform.reference.kernel.feature import Contribution, Layer, Middleware
from apiconform.reference.kernel.providers import Provider

if TYPE_CHECKING:
    from apiconform.reference.kernel.application import Application


class ErrorHandling:
    """``ErrorHandling(filters=[...])``: ``filters`` are global exception filters
    (instances, or classes resolved from the app's container), tried before the built-in
    ones."""

    name = "errors"
    config_model = ErrorsConfig

    def __init__(self, *, filters: Sequence[object] = ()) -> None:
        self.filters = list(filters)

    def setup(self, app: Application, config: ErrorsConfig) -> Contribution:
        pipeline = ExceptionPipeline(app, self.filters)
        pipeline.reporters.extend(reporters_from_config(app, config))

        def catcher(inner: ASGIApp) -> ASGIApp:
            return ErrorMiddleware(inner, errors=pipeline)

        def body_limit(inner: ASGIApp) -> ASGIApp:
            return BodyLimitMiddleware(inner, limit=config.body_limit, errors=pipeline)

        def prepare(app: Application) -> None:
            try:
                pipeline.prepare()
            except DIError as exc:
                raise ConfigError(
                    f"app {app.id!r}: an exception filter cannot be built: {exc}"
                ) from None

        async def close(app: Application) -> None:
            await pipeline.aclose()

        return Contribution(
            providers=[Provider(ExceptionPipeline, value=pipeline)],
            middleware=[
                Middleware(Layer.ERRORS, catcher, "error catcher"),
                Middleware(Layer.ERRORS, body_limit, "body limit", order=1),
            ],
            error_handler=pipeline,
            on_assembled=[prepare],
            on_dispose=[close],
        )
