"""Class-based controllers on FastAPI routing.

``@controller("users")`` marks a class; ``@get``, ``@post``, ... mark its methods. Handler
parameters and return types are ordinary FastAPI/pydantic annotations, so validation and
OpenAPI come from FastAPI. The controller instance is resolved per request from the request
scope's container, which injects its constructor dependencies.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from apiconform.errors import ApiconformError
from apiconform.reference.kernel.di import Lifetime, declared_lifetime
from apiconform.reference.kernel.feature import RouteDef

C = TypeVar("C", bound=type[Any])
F = TypeVar("F", bound=Callable[..., Any])

_CONTROLLER_ATTR = "__apiconform_controller__"
_ROUTE_ATTR = "__apiconform_route__"
_REQUEST_PARAM = "__apiconform_request"
CONTAINER_KEY = "apiconform.container"


class ControllerError(ApiconformError):
    """A controller is declared wrongly."""


@dataclass(frozen=True)
class ControllerMeta:
    prefix: str
    tags: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RouteMeta:
    method: str
    path: str
    status_code: int | None = None
    options: dict[str, Any] = field(default_factory=dict)


def controller(
    prefix: str = "", *, tags: list[str] | None = None, **options: Any
) -> Callable[[C], C]:
    """Mark a class as a controller whose routes live under ``/prefix``.

    Extra keyword options are kept as metadata for features that read them (filters,
    versions, rate limits).
    """
    clean = "/" + prefix.strip("/") if prefix.strip("/") else ""

    def mark(cls: C) -> C:
        name = prefix.strip("/") or cls.__name__
        setattr(cls, _CONTROLLER_ATTR, ControllerMeta(clean, tuple(tags or [name]), options))
        return cls

    return mark


def _route(method: str) -> Callable[..., Callable[[F], F]]:
    def decorator(
        path: str = "", *, status_code: int | None = None, **options: Any
    ) -> Callable[[F], F]:
        def mark(fn: F) -> F:
            metas: list[RouteMeta] = list(getattr(fn, _ROUTE_ATTR, []))
            metas.append(RouteMeta(method, path, status_code, options))
            setattr(fn, _ROUTE_ATTR, metas)
            return fn

        return mark

    decorator.__name__ = method.lower()
    decorator.__doc__ = f"Mark a controller method as the ``{method}`` handler of ``path``."
    return decorator


get = _route("GET")
post = _route("POST")
put = _route("PUT")
patch = _route("PATCH")
delete = _route("DELETE")


def controller_meta(cls: type[Any]) -> ControllerMeta:
    meta = getattr(cls, _CONTROLLER_ATTR, None)
    if not isinstance(meta, ControllerMeta):
        raise ControllerError(f"{cls.__qualname__} is not decorated with @controller")
    return meta


def route_metas(fn: Callable[..., Any]) -> list[RouteMeta]:
    return list(getattr(fn, _ROUTE_ATTR, []))


def controller_lifetime(cls: type[Any]) -> Lifetime:
    """Controllers are per request unless declared otherwise."""
    return declared_lifetime(cls) or Lifetime.SCOPED


def join_path(*parts: str) -> str:
    joined = "/".join(p.strip("/") for p in parts if p.strip("/"))
    return "/" + joined


def route_definitions(cls: type[Any]) -> list[RouteDef]:
    """One :class:`RouteDef` per decorated method (and per decorator) of controller
    ``cls``, in the order they were written."""
    meta = controller_meta(cls)
    found: list[RouteDef] = []
    for _, fn in _methods_in_definition_order(cls):
        for route in route_metas(fn):
            options: dict[str, Any] = {"tags": list(meta.tags), **route.options}
            if route.status_code is not None:
                options["status_code"] = route.status_code
            found.append(
                RouteDef(cls, fn, route.method, join_path(meta.prefix, route.path), options)
            )
    return found


def _methods_in_definition_order(cls: type[Any]) -> list[tuple[str, Callable[..., Any]]]:
    """Methods in the order they were written (base classes first), as FastAPI matches
    routes in registration order: declare ``/items/special`` before ``/items/{id}``."""
    seen: dict[str, Callable[..., Any]] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if inspect.isfunction(value):
                seen[name] = value  # an override keeps its base's position
    return list(seen.items())


_ENDPOINTS_ATTR = "__apiconform_endpoints__"


def endpoint_of(cls: type[Any], method: Callable[..., Any]) -> Callable[..., Any]:
    """The endpoint of ``cls.method``, built once per class: it reads the container from
    the request, so every application that mounts the controller can share it (and
    FastAPI's per-callable caches do not grow with the number of applications)."""
    endpoints: dict[str, Callable[..., Any]] = cls.__dict__.get(_ENDPOINTS_ATTR) or {}
    if not endpoints:
        setattr(cls, _ENDPOINTS_ATTR, endpoints)
    found = endpoints.get(method.__name__)
    if found is None:
        found = endpoints[method.__name__] = _build_endpoint(cls, method)
    return found


def _build_endpoint(cls: type[Any], method: Callable[..., Any]) -> Callable[..., Any]:
    """A FastAPI endpoint with the method's signature minus ``self``, plus the request."""
    hints = typing.get_type_hints(method, include_extras=True)
    signature = inspect.signature(method)
    params = []
    request_name: str | None = None
    for param in list(signature.parameters.values())[1:]:
        annotation = hints.get(param.name, param.annotation)
        if annotation is Request:
            request_name = param.name
        params.append(param.replace(annotation=annotation))
    if request_name is None:
        params.append(
            inspect.Parameter(_REQUEST_PARAM, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
        )
    is_async = inspect.iscoroutinefunction(method)

    @functools.wraps(method)
    async def endpoint(**kwargs: Any) -> Any:
        request: Request = kwargs[request_name] if request_name else kwargs.pop(_REQUEST_PARAM)
        container = request.scope[CONTAINER_KEY]
        instance = await container.aresolve(cls)
        if is_async:
            return await method(instance, **kwargs)
        # like FastAPI: a plain method may block, so it runs in the thread pool
        return await run_in_threadpool(method, instance, **kwargs)

    returns = hints.get("return", signature.return_annotation)
    endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
        # get_type_hints turns "-> None" into NoneType, which FastAPI would take as a model
        parameters=params,
        return_annotation=None if returns is type(None) else returns,
    )
    del endpoint.__wrapped__  # FastAPI must read the new signature, not the method's
    return endpoint
