"""Problem responses for everything the demo and the framework raise, in both environments."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from apiconform.reference.demo.app import create_demo_app
from apiconform.reference.demo.errors import CRASH_MESSAGE
from apiconform.reference.errors.problem import GENERIC_DETAIL, MEDIA_TYPE
from apiconform.reference.kernel import Application, AppRegistry
from tests.conftest import LogCapture


async def make(registry: AppRegistry, environment: str, **config: Any) -> Application:
    return create_demo_app(
        id=f"demo-{environment}",
        registry=registry,
        config={"environment": environment, **config},
    )


@pytest.fixture
async def prod(
    registry: AppRegistry, database_config: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    app = await make(registry, "production", database=database_config, errors={"body_limit": 4096})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi, raise_app_exceptions=False), base_url="http://t"
    ) as client:
        yield client
    await app.dispose()


@pytest.fixture
async def dev(registry: AppRegistry) -> AsyncIterator[httpx.AsyncClient]:
    app = await make(registry, "development")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi, raise_app_exceptions=False), base_url="http://t"
    ) as client:
        yield client
    await app.dispose()


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    body = response.json()
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    assert body["correlationId"] == response.headers["x-correlation-id"]
    assert body["timestamp"].endswith("Z")
    assert {"type", "title", "status", "instance"} <= set(body)
    return dict(body)


@pytest.mark.parametrize(
    ("kind", "status", "type_", "detail"),
    [
        ("bad-request", 400, "about:blank", "the 'q' parameter must not be empty"),
        ("unauthorized", 401, "about:blank", "a bearer token is required"),
        ("forbidden", 403, "about:blank", "this resource belongs to another user"),
        ("not-found", 404, "about:blank", "no such widget"),
        ("conflict", 409, "/problems/conflict", "a widget with this name exists"),
        ("validation", 422, "/problems/validation", "1 field(s) failed validation"),
        ("internal", 500, "about:blank", GENERIC_DETAIL),
        ("unavailable", 503, "/problems/service-unavailable", GENERIC_DETAIL),
    ],
)
async def test_every_builtin_exception_is_a_problem(
    prod: httpx.AsyncClient, kind: str, status: int, type_: str, detail: str
) -> None:
    body = problem(await prod.get(f"/errors/raise/{kind}"), status)
    assert body["type"] == type_
    assert body["detail"] == detail


async def test_unauthorized_asks_for_a_bearer_token(prod: httpx.AsyncClient) -> None:
    assert (await prod.get("/errors/raise/unauthorized")).headers["www-authenticate"] == "Bearer"


async def test_service_unavailable_says_when_to_retry(prod: httpx.AsyncClient) -> None:
    assert (await prod.get("/errors/raise/unavailable")).headers["retry-after"] == "7"


async def test_validation_exception_lists_fields(prod: httpx.AsyncClient) -> None:
    body = problem(await prod.get("/errors/raise/validation"), 422)
    assert body["errors"] == [
        {"field": "name", "message": "must not be empty", "constraints": {"min_length": "min 1"}}
    ]


async def test_unknown_route_is_a_404_problem(prod: httpx.AsyncClient) -> None:
    body = problem(await prod.get("/no/such/route"), 404)
    assert body["detail"] == "No route matches GET /no/such/route"


async def test_wrong_method_is_a_405_problem_with_allow(prod: httpx.AsyncClient) -> None:
    response = await prod.delete("/scopes/whoami")
    problem(response, 405)
    assert response.headers["allow"] == "GET"


async def test_malformed_json_is_400(prod: httpx.AsyncClient) -> None:
    response = await prod.post(
        "/errors/validate", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    body = problem(response, 400)
    assert body["type"] == "/problems/malformed-json"
    assert body["detail"].startswith("The request body is not valid JSON")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_unsupported_media_type_is_415(prod: httpx.AsyncClient, content_type: str) -> None:
    response = await prod.post(
        "/errors/validate", content=b"email=a", headers={"content-type": content_type}
    )
    assert problem(response, 415)["type"] == "/problems/unsupported-media-type"
    assert response.headers["accept"] == "application/json"


async def test_structured_json_media_types_are_accepted(prod: httpx.AsyncClient) -> None:
    body = {"email": "a@b.co", "age": 30, "address": {"street": "x", "zip": "12345"}}
    response = await prod.post(
        "/errors/validate",
        content=json.dumps(body),
        headers={"content-type": "application/merge-patch+json; charset=utf-8"},
    )
    assert response.status_code == 200


async def test_validation_failure_is_422_with_every_field_dotted(prod: httpx.AsyncClient) -> None:
    response = await prod.post(
        "/errors/validate", json={"email": "nope", "age": 7, "address": {"zip": "1"}}
    )
    body = problem(response, 422)
    assert body["type"] == "/problems/validation"
    fields = {e["field"]: e for e in body["errors"]}
    assert set(fields) == {"email", "age", "address.street", "address.zip"}
    assert fields["age"]["constraints"] == {"greater_than_equal": fields["age"]["message"]}
    assert fields["address.street"]["constraints"] == {"missing": "Field required"}


async def test_query_parameter_errors_keep_their_location(prod: httpx.AsyncClient) -> None:
    body = problem(await prod.get("/users?limit=0"), 422)
    assert [e["field"] for e in body["errors"]] == ["query.limit"]


async def test_declared_oversized_body_is_refused_before_reading(prod: httpx.AsyncClient) -> None:
    response = await prod.post(
        "/errors/validate", content=b"x" * 5000, headers={"content-type": "application/json"}
    )
    body = problem(response, 413)
    assert body["detail"] == "The request body exceeds the limit of 4096 bytes."
    assert body["type"] == "/problems/payload-too-large"


async def test_streamed_oversized_body_is_cut_off(prod: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 1000

    response = await prod.post(
        "/errors/validate", content=chunks(), headers={"content-type": "application/json"}
    )
    problem(response, 413)


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ([(b"content-length", b"-5")], b"Content-Length is not a non-negative integer"),
        # a superscript two passes str.isdigit() but not int(): once a 500
        ([(b"content-length", "\u00b2".encode("latin-1"))], b"not a non-negative integer"),
        ([(b"content-length", b"12abc")], b"not a non-negative integer"),
        ([(b"content-length", b"3"), (b"content-length", b"3")], b"given more than once"),
        ([(b"content-length", b"3"), (b"content-length", b"900")], b"given more than once"),
    ],
)
async def test_invalid_content_length_is_400(
    prod: httpx.AsyncClient, headers: list[tuple[bytes, bytes]], detail: bytes
) -> None:
    app = prod._transport.app  # type: ignore[attr-defined]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/errors/validate",
        "raw_path": b"/x",
        "query_string": b"",
        "headers": headers,
        "client": ("1.2.3.4", 1),
        "server": ("t", 80),
        "scheme": "http",
        "root_path": "",
        "http_version": "1.1",
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 400
    assert detail in sent[1]["body"]


async def test_a_huge_declared_length_is_413_not_a_crash(prod: httpx.AsyncClient) -> None:
    response = await prod.post(
        "/errors/validate", content=b"{}", headers={"Content-Length": "9" * 40}
    )
    assert response.status_code == 413


async def test_production_hides_the_crash(prod: httpx.AsyncClient) -> None:
    response = await prod.get("/errors/crash")
    body = problem(response, 500)
    assert body["detail"] == GENERIC_DETAIL
    assert "stack" not in body
    assert "exception" not in body
    for leak in ("hunter2", "SELECT", "/srv/", "InternalCrash", "Traceback", "db.py"):
        assert leak not in response.text


async def test_development_shows_the_exception_and_stack(dev: httpx.AsyncClient) -> None:
    body = problem(await dev.get("/errors/crash"), 500)
    masked = CRASH_MESSAGE.replace("'hunter2-internal'", "[redacted]")  # credentials never
    assert body["detail"] == masked
    assert body["exception"].endswith(f"InternalCrash: {masked}")
    assert any("raise InternalCrash" in line for line in body["stack"])


async def test_correlation_id_is_reused_or_generated(prod: httpx.AsyncClient) -> None:
    sent = await prod.get("/errors/raise/not-found", headers={"X-Correlation-ID": "trace-77"})
    assert problem(sent, 404)["correlationId"] == "trace-77"
    invalid = await prod.get("/errors/raise/not-found", headers={"X-Correlation-ID": "bad id!"})
    generated = problem(invalid, 404)["correlationId"]
    assert generated != "bad id!"
    assert len(generated) == 32


async def test_unique_violation_is_409_without_database_text(prod: httpx.AsyncClient) -> None:
    user = {"name": "Ada", "email": "ada-409@example.org"}
    assert (await prod.post("/users", json=user)).status_code == 201
    response = await prod.post("/users", json=user)
    body = problem(response, 409)
    assert body["type"] == "/problems/conflict"
    for leak in ("UNIQUE", "unique constraint", "users.email", "IntegrityError", "INSERT"):
        assert leak not in response.text


@pytest.mark.parametrize(
    "user",
    [
        {"name": "Ada", "email": "a\u0000da@example.org"},  # PostgreSQL refuses NUL in text
        {"name": "A\u0000da", "email": "ada-nul@example.org"},
        {"name": "Ada\u0007", "email": "ada-bell@example.org"},
    ],
)
async def test_text_no_database_stores_is_a_422_not_a_500(
    prod: httpx.AsyncClient, user: dict[str, str]
) -> None:
    body = problem(await prod.post("/users", json=user), 422)
    assert {e["field"] for e in body["errors"]} <= {"name", "email"}
    assert not [u for u in (await prod.get("/users")).json() if u["email"] == user["email"]]


async def test_a_lone_surrogate_is_a_422_not_a_500(prod: httpx.AsyncClient) -> None:
    raw = b'{"name": "\\udc00da", "email": "ada-surrogate@example.org"}'
    response = await prod.post("/users", content=raw, headers={"content-type": "application/json"})
    problem(response, 422)


async def test_unreachable_database_is_503_with_retry_after(registry: AppRegistry) -> None:
    app = await make(
        registry, "production", database={"url": "postgresql+asyncpg://postgres@127.0.0.1:1/x"}
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi), base_url="http://t"
    ) as client:
        response = await client.get("/errors/db")
    body = problem(response, 503)
    assert response.headers["retry-after"] == "5"
    assert body["detail"] == "The database is unavailable. Retry in 5 seconds."
    await app.dispose()


async def test_routes_that_do_not_use_the_database_work_without_it(
    registry: AppRegistry,
) -> None:
    app = await make(
        registry, "production", database={"url": "postgresql+asyncpg://postgres@127.0.0.1:1/x"}
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi), base_url="http://t"
    ) as client:
        assert (await client.get("/errors/raise/not-found")).status_code == 404
        assert (await client.get("/errors/raise/conflict")).status_code == 409
        assert (await client.get("/errors/db")).status_code == 503
    await app.dispose()


async def test_server_errors_log_one_error_line_with_context(
    prod: httpx.AsyncClient, logs: LogCapture
) -> None:
    await prod.get(
        "/errors/crash",
        headers={"X-Correlation-ID": "crash-log", "X-Forwarded-For": "9.9.9.9"},
    )
    [line] = logs.lines(message="request failed")
    assert line["level"] == "error"
    assert line["correlation_id"] == "crash-log"
    assert (line["status"], line["method"], line["path"]) == (500, "GET", "/errors/crash")
    assert line["error"] == "InternalCrash"
    assert line["client_ip"] == "127.0.0.1"  # no trusted proxies: the header is ignored
    assert line["user_id"] is None
    # the stack is logged, the password in the exception message is not
    [exception] = line["exception"]
    assert exception["exc_value"] == CRASH_MESSAGE.replace("'hunter2-internal'", "[redacted]")
    assert "hunter2-internal" not in json.dumps(line)


async def test_client_errors_are_told_on_the_access_line_without_a_stack(
    prod: httpx.AsyncClient, logs: LogCapture
) -> None:
    await prod.get("/errors/raise/forbidden", headers={"X-Correlation-ID": "client-error"})
    [line] = logs.lines(correlation_id="client-error")  # one line for the request
    assert (line["message"], line["level"], line["status"]) == ("request", "info", 403)
    assert line["error"] == "Forbidden"
    assert line["detail"] == "this resource belongs to another user"
    assert line["route"] == "/errors/raise/{kind}"
    assert "exception" not in line


@pytest.mark.parametrize(
    "query", ["offset=9223372036854775808", "offset=-1", "limit=0", "limit=101"]
)
async def test_paging_outside_its_range_is_422(prod: httpx.AsyncClient, query: str) -> None:
    # found in review: an offset beyond 64 bits reached the SQLite driver as a 500
    problem(await prod.get(f"/users?{query}"), 422)


@pytest.mark.parametrize("user_id", ["9223372036854775808", "0", "-1"])
async def test_ids_outside_the_database_range_are_422(
    prod: httpx.AsyncClient, user_id: str
) -> None:
    # found by the fuzzer: a 64-bit overflow reached the SQLite driver as a 500
    body = problem(await prod.get(f"/users/{user_id}"), 422)
    assert [e["field"] for e in body["errors"]] == ["path.user_id"]


async def test_only_unique_violations_are_conflicts(database_config: dict[str, str]) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from apiconform.reference.errors.filters import unique_violation
    from apiconform.reference.store.database import open_database

    database = await open_database(
        database_config.get("url"), schema=database_config.get("schema_name")
    )
    caught: list[IntegrityError] = []
    try:
        insert = "INSERT INTO users (name, email, created_at) VALUES ({}, CURRENT_TIMESTAMP)"
        for values in ("'a', 'dup@x.org'", "'b', 'dup@x.org'", "NULL, 'n@x.org'"):
            statement = insert.format(values)
            try:
                async with database.engine.begin() as conn:
                    await conn.execute(text(statement))
            except IntegrityError as exc:
                caught.append(exc)
    finally:
        await database.aclose()
    duplicate, not_null = caught
    assert unique_violation(duplicate)
    assert not unique_violation(not_null)
