"""Broken and legit variants of the demo's API versioning: each broken one has one defect
in negotiation or in the deprecation headers."""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.responses import PlainTextResponse, RedirectResponse, Response

from apiconform.errors import ConfigError
from apiconform.reference import kernel
from apiconform.reference.demo import app, versions
from apiconform.reference.errors.exceptions import BadRequest, Gone, NotFound
from apiconform.reference.store.users import User
from apiconform.reference.versioning import (
    config,
    controller,
    deprecation,
    feature,
    middleware,
    negotiation,
    openapi,
    parse,
    table,
)
from apiconform.reference.versioning.config import VersionConfig, VersioningConfig
from apiconform.reference.versioning.decorator import version
from tests.selftest.variants.base import Variant, broken, register

VERSIONING = "add-api-versioning"
# the checks that compare two versions' answers of the resource: they skip without them
_COMPARING = {"VER-MEDIA-02", "VER-HDR-01", "VER-NEG-01"}


@broken(VERSIONING, {"VER-HDR-02": "VER-HDR-02.status"})
def unsupported_header_falls_back() -> None:
    """An unsupported X-API-Version is silently served by the default version."""
    original = negotiation.Negotiator._header

    def header(self: negotiation.Negotiator, value: str) -> str:
        try:
            return original(self, value)
        except BadRequest:
            return self.config.default

    negotiation.Negotiator._header = header  # type: ignore[method-assign]


@broken(VERSIONING, {"VER-HDR-02": "VER-HDR-02.lists-supported"})
def refusal_lists_no_versions() -> None:
    """The 400 for an unsupported version does not say which versions exist."""

    def unsupported(self: negotiation.Negotiator, kind: Any, detail: str) -> Exception:
        return kind(detail)  # type: ignore[no-any-return]

    negotiation.Negotiator._unsupported = unsupported  # type: ignore[method-assign]


@broken(
    VERSIONING,
    {"VER-MEDIA-01": "VER-MEDIA-01.served", "VER-MEDIA-02": "VER-MEDIA-02.highest"},
)
def vendor_types_refused() -> None:
    """Every versioned media type is refused with 400, as if the vendor were unknown."""
    original = negotiation.Negotiator._media

    def media(self: negotiation.Negotiator, accept: str) -> str | None:
        if original(self, accept) is not None:
            raise BadRequest("not acceptable")
        return None

    negotiation.Negotiator._media = media  # type: ignore[method-assign]
    # the references the media-type checks compare with are named in the URI: untouched


@broken(
    VERSIONING,
    {
        "VER-MEDIA-01": "VER-MEDIA-01.selects-version",
        "VER-MEDIA-02": "VER-MEDIA-02.q-zero-excluded",
    },
)
def media_type_ignored() -> None:
    """Accept is not read: every request without a URI or header version gets the default."""
    negotiation.Negotiator._media = lambda self, accept: None  # type: ignore[method-assign]


@broken(VERSIONING, {"VER-MEDIA-01": "VER-MEDIA-01.content-type"})
def plain_json_content_type() -> None:
    """The version is selected from the media type, but the answer says application/json."""
    original = middleware.VersioningMiddleware._marking

    def marking(self: Any, scope: Any, send: Any, resolution: Any, extra: Any) -> Any:
        plain = negotiation.Resolution(resolution.version, "plain")
        return original(self, scope, send, plain, extra)

    middleware.VersioningMiddleware._marking = marking  # type: ignore[method-assign]


@broken(VERSIONING, {"VER-MEDIA-02": "VER-MEDIA-02.highest"})
def first_offered_version_wins() -> None:
    """Among several versioned media types the first one listed wins, not the highest."""
    original = negotiation.accept_versions

    def first(accept: str, vendor: str) -> list[str]:
        return original(accept, vendor)[:1]

    negotiation.accept_versions = first  # type: ignore[assignment]


@broken(VERSIONING, {"VER-MEDIA-02": "VER-MEDIA-02.q-zero-excluded"})
def q_zero_counts() -> None:
    """A versioned media type offered with q=0 still counts."""

    def every(accept: str, vendor: str) -> list[str]:
        found = []
        pattern = parse.vendor_pattern(vendor)
        for media in parse.media_ranges(accept):
            matched = pattern.fullmatch(media.media_type)
            if matched is not None:
                found.append(parse.normalise(matched.group(1)))
        return found

    negotiation.accept_versions = every  # type: ignore[assignment]


@broken(
    VERSIONING,
    {
        "VER-DEP-01": "VER-DEP-01.served",
        "VER-URI-01": "VER-URI-01.served",
        "VER-URI-02": "VER-URI-01.served",
        "VER-CFG-02": "VER-CFG-02.routes",
        "VER-DEC-03": "VER-DEC-03.registered",  # /v1/api-info is refused too
        "VER-DEC-01": "VER-DEC-01.registered",  # and so is the changelog of version 1
    },
    skips={"VER-MEDIA-01", "VER-DEP-02", *_COMPARING},
)
def deprecated_version_refused() -> None:
    """A deprecated version answers 410 as soon as it is deprecated, not after its sunset."""
    deprecation.sunset_passed = (  # type: ignore[assignment]
        lambda config, version, now: config.versions[version].is_deprecated
    )
    feature.sunset_passed = deprecation.sunset_passed  # type: ignore[attr-defined]


@broken(VERSIONING, {"VER-DEP-01": "VER-DEP-01.deprecation-format"})
def deprecation_as_http_date() -> None:
    """Deprecation is sent as an HTTP-date instead of @<unix seconds> or true."""

    def value(version: VersionConfig, form: str) -> str:
        assert isinstance(version.deprecated, datetime)
        return deprecation.http_date(version.deprecated)

    deprecation.deprecation_value = value  # type: ignore[assignment]


@broken(VERSIONING, {"VER-DEP-01": "VER-DEP-01.sunset-date"})
def sunset_in_iso_format() -> None:
    """Sunset is sent as an ISO 8601 timestamp instead of an IMF-fixdate."""
    deprecation.http_date = lambda moment: moment.isoformat()  # type: ignore[assignment]


@broken(VERSIONING, {"VER-DEP-01": "VER-DEP-01.sunset-after-deprecation"})
def sunset_before_deprecation() -> None:
    """The Deprecation date sent is after the Sunset date."""

    def value(version: VersionConfig, form: str) -> str:
        assert version.sunset is not None
        return f"@{int(version.sunset.timestamp()) + 86_400}"

    deprecation.deprecation_value = value  # type: ignore[assignment]


@broken(VERSIONING, {"VER-DEP-01": "VER-DEP-01.current-clean"})
def every_version_deprecated() -> None:
    """Current versions carry the deprecation headers of the deprecated one."""
    original = deprecation.deprecation_headers

    def headers(config: VersioningConfig, version: str, successor: Any) -> list[Any]:
        found = original(config, version, successor)
        return found or [("Deprecation", "true"), ("Sunset", "Fri, 31 Dec 2100 00:00:00 GMT")]

    middleware.deprecation_headers = headers  # type: ignore[assignment]


@broken(
    VERSIONING,
    {
        "VER-URI-01": "VER-URI-01.served",
        "VER-URI-02": "VER-URI-01.served",
        "VER-CFG-02": "VER-CFG-02.routes",
        "VER-DEC-03": "VER-DEC-03.registered",  # /v2/api-info is not found either
        "VER-DEC-02": "VER-DEC-02.registered",  # nor /v2/changelog/migration
    },
    skips={"VER-MEDIA-01", "VER-URI-03", "VER-DEP-01", *_COMPARING},
)
def default_version_not_in_uri() -> None:
    """The default version cannot be named in the path (/v2/users is 404)."""
    original = negotiation.Negotiator._uri

    def uri(self: negotiation.Negotiator, token: str) -> str:
        version = original(self, token)
        if version == self.config.default:
            raise NotFound("no such version")
        return version

    negotiation.Negotiator._uri = uri  # type: ignore[method-assign]


@broken(
    VERSIONING,
    {"VER-URI-01": "VER-URI-02.differ", "VER-URI-02": "VER-URI-02.differ"},
    skips=_COMPARING,
)
def one_handler_for_both_versions() -> None:
    """Version 1 of the users list is served by version 2's code."""
    original = versions.UsersV1Controller.__dict__["list_users_v1"]

    async def list_users_v1(self: Any, limit: int = 100) -> list[User]:
        return await self.users.list(limit, 0)  # type: ignore[no-any-return]

    list_users_v1.__apiconform_route__ = original.__apiconform_route__  # type: ignore[attr-defined]
    versions.UsersV1Controller.list_users_v1 = list_users_v1  # type: ignore[method-assign]


@broken(
    VERSIONING,
    {"VER-URI-03": "VER-URI-03.default-served", "VER-NEG-02": "VER-NEG-02.logged"},
)
def lowest_version_by_default() -> None:
    """A request naming no version gets the lowest version, not the configured default."""
    original = negotiation.Negotiator.resolve

    def resolve(self: negotiation.Negotiator, *request: Any) -> Any:
        found = original(self, *request)
        if found.source != "default":
            return found
        return negotiation.Resolution(self.supported[1], "default")

    negotiation.Negotiator.resolve = resolve  # type: ignore[method-assign]


@broken(VERSIONING, {"VER-URI-03": "VER-URI-03.redirect"})
def redirect_with_302() -> None:
    """Unversioned requests are redirected with 302, which may turn a POST into a GET."""
    _redirecting()
    middleware.RedirectResponse = lambda url, status_code: RedirectResponse(  # type: ignore[assignment,misc]
        url, status_code=302
    )


@broken(
    VERSIONING,
    {
        "VER-HDR-01": "VER-HDR-01.selects-version",
        "VER-HDR-02": "VER-HDR-02.status",
        "VER-NEG-01": "VER-NEG-01.header-before-media",
    },
)
def header_ignored() -> None:
    """X-API-Version is read but never obeyed: the default serves."""
    negotiation.Negotiator._header = lambda self, value: self.config.default  # type: ignore[method-assign]


def _priority(order: list[str]) -> None:
    original = negotiation.Negotiator.__init__

    def init(self: negotiation.Negotiator, config: VersioningConfig) -> None:
        original(self, config)
        self.config = config.model_copy(update={"strategies": order})

    negotiation.Negotiator.__init__ = init  # type: ignore[method-assign]


@broken(VERSIONING, {"VER-NEG-01": "VER-NEG-01.uri-first"})
def header_beats_uri() -> None:
    """The header outranks a version named in the path."""
    _priority(["header", "uri", "media_type"])


@broken(VERSIONING, {"VER-NEG-01": "VER-NEG-01.header-before-media"})
def media_type_beats_header() -> None:
    """The media type outranks the header."""
    _priority(["uri", "media_type", "header"])


@broken(VERSIONING, {"VER-NEG-03": "VER-NEG-03.names-serving"})
def version_header_names_the_default() -> None:
    """X-API-Version always names the default version, whichever served."""
    original = middleware.VersioningMiddleware._marking

    def marking(self: Any, scope: Any, send: Any, resolution: Any, extra: Any) -> Any:
        named = [(n, self.config.default if n == "X-API-Version" else v) for n, v in extra]
        return original(self, scope, send, resolution, named)

    middleware.VersioningMiddleware._marking = marking  # type: ignore[method-assign]


def _redirecting() -> None:
    original = middleware.VersioningMiddleware.__init__

    def init(self: Any, app: Any, **kwargs: Any) -> None:
        original(self, app, **kwargs)
        self.config = self.config.model_copy(update={"redirect_unversioned": True})

    middleware.VersioningMiddleware.__init__ = init  # type: ignore[method-assign]


def redirect_unversioned() -> None:
    """Unversioned requests are redirected (308) to the default version's path."""
    _redirecting()


def edit_documents(edit: Callable[[str, dict[str, Any]], None]) -> None:
    """Every per-version document goes out as ``edit`` changes it."""
    original = openapi.Documents.document

    def document(self: openapi.Documents, version: str) -> dict[str, Any] | None:
        found = original(self, version)
        if found is None:
            return None
        found = copy.deepcopy(found)
        edit(version, found)
        return found

    openapi.Documents.document = document  # type: ignore[method-assign]


def each_operation(document: dict[str, Any], edit: Callable[[str, str, Any], None]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            edit(method, path, operation)


@broken(
    VERSIONING,
    {
        "VER-DOC-03": "document.served",
        "VER-DOC-01": "document.served",
        "VER-OAPI-01": "document.served",
        "VER-CFG-02": "document.served",
    },
)
def no_document_for_deprecated_versions() -> None:
    """A deprecated version has no OpenAPI document (404)."""
    original = openapi.Documents.document

    def document(self: openapi.Documents, version: str) -> dict[str, Any] | None:
        return None if self.config.versions[version].is_deprecated else original(self, version)

    openapi.Documents.document = document  # type: ignore[method-assign]


@broken(VERSIONING, {"VER-DOC-03": "VER-DOC-03.info-version"})
def fixed_info_version() -> None:
    """Every document says info.version 1.0.0 (the application's version, not the API's)."""
    edit_documents(lambda version, document: document["info"].update(version="1.0.0"))


@broken(
    VERSIONING,
    {
        "VER-DOC-03": "VER-DOC-03.isolation",
        "VER-DOC-01": "VER-DOC-01.separate",
        "VER-OAPI-01": "VER-OAPI-01.prefixed",
    },
)
def one_merged_document() -> None:
    """The same merged document (every version's operations) is served for each version."""
    original = openapi.routes_of

    def every(routes: list[Any], version: str) -> list[Any]:
        return [r for v in ("0", "1", "2") for r in original(routes, v)]

    openapi.routes_of = every  # type: ignore[assignment]


@broken(VERSIONING, {"VER-DOC-03": "VER-DOC-03.has-resource"})
def resource_left_out_of_documents() -> None:
    """The users list is missing from the documents."""

    def edit(version: str, document: dict[str, Any]) -> None:
        document["paths"].pop(f"/v{version}/users", None)

    edit_documents(edit)


@broken(VERSIONING, {"VER-DOC-01": "VER-DOC-01.deprecated-marked"})
def deprecation_not_documented() -> None:
    """Operations of a deprecated version are not marked deprecated."""
    edit_documents(
        lambda version, document: each_operation(
            document, lambda method, path, operation: operation.pop("deprecated", None)
        )
    )


@broken(VERSIONING, {"VER-OAPI-01": "VER-OAPI-01.x-api-version"})
def operations_without_version() -> None:
    """Operations do not state their version (no x-api-version)."""
    edit_documents(
        lambda version, document: each_operation(
            document, lambda method, path, operation: operation.pop("x-api-version", None)
        )
    )


@broken(VERSIONING, {"VER-OAPI-01": "VER-OAPI-01.operation-ids"})
def operation_ids_shared_between_versions() -> None:
    """An operation keeps one operationId in every version."""

    def unversioned(method: str, path: str, operation: Any) -> None:
        operation["operationId"] = method + path.split("/", 2)[2].replace("/", "_")

    edit_documents(lambda version, document: each_operation(document, unversioned))


@broken(
    VERSIONING,
    {
        "VER-CFG-02": "VER-CFG-02.documents",
        "VER-DOC-03": "VER-DOC-03.has-resource",
        "VER-OAPI-01": "VER-OAPI-01.prefixed",
    },
)
def documents_without_prefix() -> None:
    """The documents list the paths without their version prefix."""

    def edit(version: str, document: dict[str, Any]) -> None:
        cut = len(f"/v{version}")
        document["paths"] = {path[cut:]: item for path, item in document["paths"].items()}

    edit_documents(edit)


@broken(VERSIONING, {"VER-DOC-02": "VER-DOC-02.served"})
def no_docs_page() -> None:
    """The docs page is missing (404)."""
    controller.HTMLResponse = lambda page: Response(status_code=404)  # type: ignore[assignment,misc]


@broken(VERSIONING, {"VER-DOC-02": "VER-DOC-02.lists-documents"})
def docs_page_offers_the_default_only() -> None:
    """The docs page shows the default version's document only, with no selector."""
    original = controller.docs_page

    def page(config: VersioningConfig, title: str) -> str:
        only = {config.default: config.versions[config.default]}
        return original(config.model_copy(update={"versions": only}), title)

    controller.docs_page = page  # type: ignore[assignment]


@broken(VERSIONING, {"VER-DEP-03": "VER-DEP-03.gone"})
def sunset_not_enforced() -> None:
    """A version past its sunset still answers, although blocking is on."""

    async def check(self: Any, request: Any) -> None:
        middleware.restore_client_path(request.scope)

    feature.SunsetGuard.check = check  # type: ignore[method-assign]


def _retire(detail: str, *, link: bool) -> None:
    async def check(self: Any, request: Any) -> None:
        scope = request.scope
        middleware.restore_client_path(scope)
        resolution = scope.get(middleware.VERSION_SCOPE_KEY)
        if resolution is not None and deprecation.sunset_passed(
            self.config, resolution.version, self.clock()
        ):
            headers = {
                "Link": f'<{scope[middleware.SUCCESSOR_SCOPE_KEY]}>; rel="successor-version"'
            }
            raise Gone(detail, headers=headers if link else None)

    feature.SunsetGuard.check = check  # type: ignore[method-assign]
    if not link:
        original = middleware.deprecation_headers

        def headers(config: VersioningConfig, version: str, successor: Any) -> list[Any]:
            found = original(config, version, successor)
            if deprecation.sunset_passed(config, version, time.time()):
                return [(n, v) for n, v in found if n != "Link"]
            return found

        middleware.deprecation_headers = headers  # type: ignore[assignment]


@broken(VERSIONING, {"VER-DEP-03": "VER-DEP-03.names-successor"})
def gone_without_successor() -> None:
    """The 410 of a retired version says it is gone but not what to use instead."""
    _retire("this version was retired", link=True)


@broken(VERSIONING, {"VER-DEP-03": "VER-DEP-03.successor-link"})
def gone_without_link() -> None:
    """The 410 names the successor in its detail but links nowhere."""
    _retire("version 0 was retired; use version 2", link=False)


class _Lenient(tuple[str, ...]):
    def __contains__(self, item: object) -> bool:
        return True


@broken(VERSIONING, {"VER-CFG-01": "VER-CFG-01.refused"})
def unknown_strategy_ignored() -> None:
    """An unknown strategy in the configuration is accepted and ignored."""
    config.STRATEGIES = _Lenient(config.STRATEGIES)


def _reword(pattern: str, replacement: str) -> None:
    original = ConfigError.__str__

    def text(self: ConfigError) -> str:
        return re.sub(pattern, replacement, original(self))

    ConfigError.__str__ = text  # type: ignore[method-assign]


@broken(VERSIONING, {"VER-CFG-01": "VER-CFG-01.lists-valid"})
def strategy_error_lists_nothing() -> None:
    """The start-up error names the wrong strategy but not the valid ones."""
    _reword(r"; valid ones: [a-z_, ]*", "")


@broken(VERSIONING, {"VER-CFG-01": "VER-CFG-01.names-value"})
def strategy_error_names_nothing() -> None:
    """The start-up error says a strategy is wrong without saying which."""
    _reword(r"unknown strategy '[^']*'", "unknown strategy")


@broken(VERSIONING, {"VER-DEP-02": "VER-DEP-02.logged"})
def deprecated_use_not_logged() -> None:
    """Requests to a deprecated version are served without a warning in the log."""
    deprecation.DeprecationWarnings.used = (  # type: ignore[method-assign]
        lambda self, version, route, config: False
    )


@broken(VERSIONING, {"VER-NEG-02": "VER-NEG-02.logged"})
def default_use_not_logged() -> None:
    """A request naming no version gets the default without a word in the log."""
    middleware._log_default = lambda level, path, version: None


@broken(VERSIONING, {"VER-DEC-03": "VER-DEC-03.registered"})
def shared_route_in_its_last_version_only() -> None:
    """A route declared for versions 1 and 2 is registered under the last one only."""
    versions.ApiInfoController.api_info.__apiconform_versions__ = ("2",)  # type: ignore[attr-defined]


@broken(VERSIONING, {"VER-DEC-03": "VER-DEC-03.same-handler"})
def shared_route_with_a_handler_per_version() -> None:
    """Versions 1 and 2 of the shared route have handlers of their own, which differ."""

    @kernel.controller("api-info")
    class ApiInfoV1:
        @kernel.get("")
        @version("1")
        async def api_info_v1(self) -> versions.ApiInfo:
            return versions.ApiInfo(name="apiconform demo", max_page_size=50)

    versions.ApiInfoController.api_info.__apiconform_versions__ = ("2",)  # type: ignore[attr-defined]
    app.CONTROLLERS.insert(app.CONTROLLERS.index(versions.ApiInfoController), ApiInfoV1)


@broken(VERSIONING, {"VER-DEC-01": "VER-DEC-01.registered"})
def controller_version_misses_a_route() -> None:
    """The changelog controller's version does not reach its second route, which is
    registered version-neutral (at /changelog/latest, under no version prefix)."""
    versions.ChangelogController.latest_change.__apiconform_versions__ = ()  # type: ignore[attr-defined]


@broken(VERSIONING, {"VER-DEC-01": "VER-DEC-01.only-its-version"})
def controller_routes_in_every_version() -> None:
    """The changelog controller's routes are registered in every live version, not only
    in the version declared on the controller."""
    versions.ChangelogController.__apiconform_versions__ = ("1", "2")  # type: ignore[attr-defined]


def _declared(merge: Callable[[tuple[str, ...], tuple[str, ...]], tuple[str, ...]]) -> None:
    """Route versions from ``merge(route's own, controller's)`` when both are declared."""
    original = table.declared_versions

    def declared(definition: kernel.RouteDef) -> tuple[str, ...] | None:
        own = getattr(definition.function, "__apiconform_versions__", None)
        inherited = definition.controller.__dict__.get("__apiconform_versions__")
        if own and inherited:
            return merge(tuple(own), tuple(inherited))
        return original(definition)

    table.declared_versions = declared  # type: ignore[assignment]


@broken(VERSIONING, {"VER-DEC-02": "VER-DEC-02.registered"})
def controller_version_wins_over_the_route() -> None:
    """A route's own @version is ignored where its controller has one."""
    _declared(lambda own, inherited: inherited)


@broken(VERSIONING, {"VER-DEC-02": "VER-DEC-02.precedence"})
def route_versions_added_to_the_controllers() -> None:
    """A route's own @version adds to its controller's instead of replacing it."""
    _declared(lambda own, inherited: tuple(dict.fromkeys(inherited + own)))


def _controller_elsewhere(data: dict[str, Any]) -> None:
    versioning = data["versioning"]
    versioning["controller"] = {"version": "2", "paths": ["/notes", "/notes/count"]}
    versioning["override"] = {"controller_version": "2", "versions": ["1"], "path": "/notes/old"}


def versioned_controller_elsewhere() -> None:
    """The versioned controller is /notes in version 2, answering text, and its overriding
    route puts /notes/old in version 1 (a controller above the route's version)."""

    @kernel.controller("notes")
    @version("2")
    class Notes:
        @kernel.get("", response_class=PlainTextResponse)
        async def notes(self) -> str:
            return "two notes"

        @kernel.get("/count", response_class=PlainTextResponse)
        async def count(self) -> str:
            return "2"

        @kernel.get("/old", response_class=PlainTextResponse)
        @version("1")
        async def old(self) -> str:
            return "the notes of version 1"

    app.CONTROLLERS.remove(versions.ChangelogController)
    app.CONTROLLERS.append(Notes)


def _shared_elsewhere(data: dict[str, Any]) -> None:
    data["versioning"]["shared"] = {"versions": ["2", "1"], "path": "/about"}


def shared_route_elsewhere() -> None:
    """The route both versions share is /about, answered as text, and the manifest lists
    its versions highest first."""

    @kernel.controller("about")
    class About:
        @kernel.get("", response_class=PlainTextResponse)
        @version("2", "1")
        async def about(self) -> str:
            return "apiconform demo, versions 1 and 2"

    app.CONTROLLERS.remove(versions.ApiInfoController)
    app.CONTROLLERS.append(About)


def _only_uri(data: dict[str, Any]) -> None:
    data["versioning"]["strategies"] = ["uri"]


def only_uri_versioning() -> None:
    """The target versions through the URI only and says so: the header and media-type
    checks skip, they do not fail."""
    negotiation.Negotiator._header = lambda self, value: self.config.default  # type: ignore[method-assign]
    negotiation.Negotiator._media = lambda self, accept: None  # type: ignore[method-assign]


def extra_link_relations() -> None:
    """Deprecated answers carry more Link relations and a Deprecation of `true`; the 400
    lists versions spelled v1, v2."""
    original = deprecation.deprecation_headers

    def headers(config: VersioningConfig, version: str, successor: Any) -> list[Any]:
        extra = {"Deprecation": "true", "Link": None}
        found = []
        for name, value in original(config, version, successor):
            if name == "Link":
                value = f'</changes>; rel="alternate", {value}, </faq>; rel="help"'
            found.append((name, extra.get(name) or value))
        return found

    middleware.deprecation_headers = headers  # type: ignore[assignment]
    original_unsupported = negotiation.Negotiator._unsupported

    def unsupported(self: negotiation.Negotiator, kind: Any, detail: str) -> Exception:
        error: Any = original_unsupported(self, kind, detail)
        error.extensions["supportedVersions"] = [f"v{v}" for v in self.supported]
        return error  # type: ignore[no-any-return]

    negotiation.Negotiator._unsupported = unsupported  # type: ignore[method-assign]


register(
    Variant(
        "only-uri-versioning",
        (VERSIONING,),
        only_uri_versioning,
        legit=True,
        manifest=_only_uri,
        skips=frozenset({"VER-HDR-02", "VER-MEDIA-01", "VER-MEDIA-02", "VER-HDR-01", "VER-NEG-01"}),
    )
)
register(Variant("redirect-unversioned", (VERSIONING,), redirect_unversioned, legit=True))
register(Variant("extra-link-relations", (VERSIONING,), extra_link_relations, legit=True))
register(
    Variant(
        "shared-route-elsewhere",
        (VERSIONING,),
        shared_route_elsewhere,
        legit=True,
        manifest=_shared_elsewhere,
    )
)
register(
    Variant(
        "versioned-controller-elsewhere",
        (VERSIONING,),
        versioned_controller_elsewhere,
        legit=True,
        manifest=_controller_elsewhere,
    )
)
