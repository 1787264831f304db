"""Data factories (users, linked accounts, tokens, JWTs) and request/response factories
for unit-testing middleware and exception filters without a server."""

from __future__ import annotations

from apiconform.mocks.factories.asgi import (
    RequestFactory,
    SentResponse,
    StubApp,
    asgi_triple,
    call_asgi,
    make_receive,
    make_request,
    make_scope,
    render_response,
)
from apiconform.mocks.factories.data import DataFactory, LinkedAccount, TokenSet, UserRecord
from apiconform.mocks.factories.jwt import claims_for, sign_hs256, sign_rs256

__all__ = [
    "DataFactory",
    "LinkedAccount",
    "RequestFactory",
    "SentResponse",
    "StubApp",
    "TokenSet",
    "UserRecord",
    "asgi_triple",
    "call_asgi",
    "claims_for",
    "make_receive",
    "make_request",
    "make_scope",
    "render_response",
    "sign_hs256",
    "sign_rs256",
]
