"""AUTH-ERR-01, 02 and 04: a refusal at the provider, and a provider that fails during the
login."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from apiconform.conformance.checks.auth.mock import (
    Mock,
    callback_url,
    provider_location,
    providers,
    query,
    start,
)
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import new_id
from apiconform.conformance.registry import CheckSkipped, check, expect

# provider faults that make the code exchange fail: a 503, and a body cut in half
OUTAGES: tuple[dict[str, Any], ...] = (
    {"outage": True, "endpoints": ["token"]},
    {"malformed_json": True, "endpoints": ["token"]},
)


@check("AUTH-ERR-01")
def a_refusal_at_the_provider_leads_to_the_error_page(ctx: CheckContext) -> None:
    """The provider redirects back with error=access_denied (and an error_description the
    suite chose): the target redirects to its error page, which answers, with a short
    code rather than the provider's raw text. The callback carries no code, so there is
    no provider profile to create or change a user from."""
    mock = Mock(ctx)
    provider = providers(ctx)[0]
    try:
        client = ctx.client()
        location = provider_location(ctx, mock, start(ctx, client, provider))
        if location is None:
            raise CheckSkipped(f"{provider}: the login does not redirect (see AUTH-OAUTH-01)")
        params = query(location)
        nonce = new_id("deny")
        raw = f"Raw provider text {nonce}"
        denial = {"error": "access_denied", "error_description": raw, "state": params["state"]}
        answer = client.get(f"{params['redirect_uri']}?{urlencode(denial)}")
        target = answer.headers.get("location", "")
        expect(
            answer.is_redirect and bool(target),
            "AUTH-ERR-01.redirect",
            f"the refusal was answered {answer.status_code}, not a redirect to an error page",
        )
        expect(
            nonce not in target and nonce not in answer.text,
            "AUTH-ERR-01.no-raw-text",
            f"the provider's raw error_description was passed on: {target[:300]}",
        )
        page = client.get(target)
        expect(
            page.status_code == 200,
            "AUTH-ERR-01.page",
            f"the error page {urlsplit(target).path} answered {page.status_code}",
        )
    finally:
        mock.close()


def outage_answers(ctx: CheckContext) -> list[tuple[str, httpx.Response]]:
    """The target's answers to callbacks while the provider's token endpoint fails."""
    mock = Mock(ctx)
    provider = providers(ctx)[0]
    found: list[tuple[str, httpx.Response]] = []
    try:
        client = ctx.client()
        for faults in OUTAGES:
            callback = callback_url(ctx, mock, client, provider)
            mock.set_faults(provider, faults)
            try:
                found.append(
                    (
                        json.dumps(faults),
                        client.get(callback, headers={"accept": "application/json"}),
                    )
                )
            finally:
                mock.clear_faults()
    finally:
        mock.close()
    return found


@check("AUTH-ERR-02")
def a_provider_outage_is_a_503(ctx: CheckContext) -> None:
    """The provider's token endpoint is down (503) or answers a malformed body: the
    callback is answered 503 with Retry-After, in time (the suite's request timeout)."""
    for faults, answer in outage_answers(ctx):
        expect(
            answer.status_code == 503,
            "AUTH-ERR-02.status",
            f"with the provider failing ({faults}) the callback answered {answer.status_code}",
        )
        expect(
            bool(answer.headers.get("retry-after", "").strip()),
            "AUTH-ERR-02.retry-after",
            f"the 503 for a provider failing ({faults}) has no Retry-After",
        )


@check("AUTH-ERR-04")
def a_provider_outage_suggests_other_ways_to_sign_in(ctx: CheckContext) -> None:
    """The 503 of a provider outage lists the other sign-in methods in an `alternatives`
    member: the other providers the target offers (or its local login), never the one
    that failed."""
    failed = providers(ctx)[0]
    others = providers(ctx)[1:]
    for faults, answer in outage_answers(ctx):
        if answer.status_code != 503:
            raise CheckSkipped(f"the outage was answered {answer.status_code} (see AUTH-ERR-02)")
        try:
            body = answer.json()
        except ValueError:
            body = None
        alternatives = body.get("alternatives") if isinstance(body, dict) else None
        listed = json.dumps(alternatives)
        expect(
            isinstance(alternatives, list)
            and bool(alternatives)
            and (not others or any(re.search(rf"\b{p}\b", listed) for p in others)),
            "AUTH-ERR-04.alternatives",
            f"the 503 ({faults}) lists no other sign-in method in `alternatives`: {listed[:300]}",
        )
        expect(
            not re.search(rf"\b{failed}\b", listed),
            "AUTH-ERR-04.not-the-failed-one",
            f"the alternatives include {failed}, the provider that failed: {listed[:300]}",
        )
