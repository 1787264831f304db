"""Hostile input against the demo's routes: whatever arrives, the answer is never a 5xx
(outside the probes that exist to fail) and every error is application/problem+json."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apiconform.reference.demo.app import create_demo_app
from apiconform.reference.errors.problem import MEDIA_TYPE
from apiconform.reference.kernel import AppRegistry

# Routes the demo has, with their methods, so most requests reach a handler.
ROUTES = [
    ("GET", "/users"),
    ("POST", "/users"),
    ("GET", "/users/{x}"),
    ("PUT", "/users/{x}"),
    ("DELETE", "/users/{x}"),
    ("GET", "/scopes/whoami"),
    ("GET", "/scopes/request-ids"),
    ("GET", "/scopes/config"),
    ("PUT", "/scopes/cache/{x}"),
    ("GET", "/scopes/cache/{x}"),
    ("POST", "/scopes/log"),
    ("POST", "/errors/validate"),
    ("GET", "/errors/raise/{x}"),  # only the kinds below 500 are drawn
    ("GET", "/{x}"),
    ("POST", "/users/{x}/{x}"),
]
SAFE_KINDS = ["bad-request", "unauthorized", "forbidden", "not-found", "conflict", "validation"]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
CONTENT_TYPES = [
    "application/json",
    "application/problem+json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json; charset=latin-1",
    "",
]
# Printable ASCII without separators that would change the URL's structure.
segment = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#%"),
    min_size=1,
    max_size=40,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.one_of(
    st.none(),
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"name": st.text(max_size=120), "email": st.text(max_size=60)}).map(
        lambda v: json.dumps(v).encode()
    ),
)
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
headers = st.dictionaries(
    st.sampled_from(
        ["x-correlation-id", "x-request-id", "x-forwarded-for", "accept", "authorization", "x-a"]
    ),
    header_values,
    max_size=4,
)


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def client(loop: asyncio.AbstractEventLoop) -> Iterator[httpx.AsyncClient]:
    app = create_demo_app(registry=AppRegistry(), config={"errors": {"body_limit": 2048}})
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi, raise_app_exceptions=False), base_url="http://t"
    )
    yield http
    loop.run_until_complete(http.aclose())
    loop.run_until_complete(app.dispose())


@st.composite
def requests(draw: Any) -> dict[str, Any]:
    method, route = draw(st.sampled_from(ROUTES))
    if draw(st.sampled_from([True] + [False] * 9)):  # now and then, any method
        method = draw(st.sampled_from(METHODS))
    if route == "/errors/raise/{x}":
        path = f"/errors/raise/{draw(st.sampled_from(SAFE_KINDS))}"
    else:
        path = route.replace("{x}", draw(segment))
    # the routes' own parameters with extreme values, and random ones
    known = st.sampled_from(["limit", "offset", "seconds", "verbose", "q"])
    extreme = st.integers(min_value=-(2**70), max_value=2**70).map(str) | segment
    query = draw(st.dictionaries(known | segment, extreme, max_size=3))
    body = draw(bodies)
    hdrs = dict(draw(headers))
    if body is not None:
        hdrs["content-type"] = draw(st.sampled_from(CONTENT_TYPES))
    return {
        "method": method,
        "url": path,
        "params": query,
        "content": body,
        "headers": hdrs,
    }


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=requests())
def test_hostile_requests_get_problems_never_server_errors(
    request: dict[str, Any], client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop
) -> None:
    response = loop.run_until_complete(client.request(**request))
    assert response.status_code < 500, (request, response.text)
    if response.status_code >= 400 and request["method"] != "HEAD":
        assert response.headers["content-type"] == MEDIA_TYPE, (request, response.text)
        body = response.json()
        assert body["status"] == response.status_code
        assert body["correlationId"] == response.headers["x-correlation-id"]
