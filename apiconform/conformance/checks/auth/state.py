"""AUTH-SEC-01: the state is bound to the browser that started the login and used once;
AUTH-OAUTH-04: a refused state is logged as a security incident, without the code."""

from __future__ import annotations

from apiconform.conformance import loglines
from apiconform.conformance.checks.auth.mock import JSON, Mock, callback_url, providers, query
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import new_id, tagged
from apiconform.conformance.registry import CheckSkipped, check, expect


@check("AUTH-SEC-01")
def state_is_bound_to_the_browser_and_used_once(ctx: CheckContext) -> None:
    """A callback delivered to another browser (login CSRF: the attacker's valid state
    and code in the victim's browser) is refused (a client error; that it is 401 is
    AUTH-OAUTH-03's assertion) before the code is exchanged; a state is accepted once, and
    its replay is refused before any exchange. Fresh states per
    login are AUTH-OAUTH-01's assertion; the 10-minute expiry needs a frozen clock and is
    left to the implementation's own tests."""
    mock = Mock(ctx)
    provider = providers(ctx)[0]
    try:
        attacker, victim = ctx.client(), ctx.client()
        stolen = callback_url(ctx, mock, attacker, provider)
        callback_url(ctx, mock, victim, provider)  # the victim's browser has its own login
        before = mock.token_requests(provider)
        answer = victim.get(stolen, headers=JSON)
        expect(
            400 <= answer.status_code < 500 and mock.token_requests(provider) == before,
            "AUTH-SEC-01.bound",
            f"a callback from another browser was answered {answer.status_code}"
            + (" after exchanging its code" if mock.token_requests(provider) > before else ""),
        )
        own = callback_url(ctx, mock, victim, provider)
        victim.get(own, headers=JSON)
        before = mock.token_requests(provider)
        replay = victim.get(own, headers=JSON)
        expect(
            400 <= replay.status_code < 500 and mock.token_requests(provider) == before,
            "AUTH-SEC-01.single-use",
            f"a replayed callback was answered {replay.status_code}"
            + (" after exchanging its code" if mock.token_requests(provider) > before else ""),
        )
    finally:
        mock.close()


@check("AUTH-OAUTH-04")
def refused_state_is_logged_without_the_code(ctx: CheckContext) -> None:
    """A callback with an invalid state is logged as a security incident: a warning (or
    worse) line of the request that names the provider and the client address; no line of
    the request contains the authorization code."""
    output = ctx.process().output
    mock = Mock(ctx)
    provider = providers(ctx)[0]
    try:
        client = ctx.client()
        callback = callback_url(ctx, mock, client, provider)
    finally:
        mock.close()
    params = query(callback)
    code, state = params.get("code", ""), params.get("state", "")
    forged = callback.replace(f"state={state}", f"state={state[:-4]}ZZZZ")
    correlation_id = new_id()
    since = output.mark()
    answer = client.get(forged, headers={**JSON, **tagged(correlation_id)})
    if answer.status_code != 401:
        raise CheckSkipped(
            f"the forged state was answered {answer.status_code} (see AUTH-OAUTH-03)"
        )
    lines = loglines.wait_for_request(
        output,
        since,
        correlation_id,
        lambda found: any(loglines.is_warning_or_worse(x) for x in found),
        ctx.log_wait,
    )
    incidents = [x for x in lines if loglines.is_warning_or_worse(x)]
    expect(
        incidents,
        "AUTH-OAUTH-04.logged",
        f"no warning-level JSON log line carries the request's correlation id {correlation_id} "
        f"({len(lines)} other line(s) of the request)",
    )
    expect(
        any(loglines.mentions(x, provider) and loglines.has_ip_address(x) for x in incidents),
        "AUTH-OAUTH-04.names",
        f"the incident line does not name the provider ({provider}) and the client address: "
        f"{incidents[0]}",
    )
    leaked = [x for x in output.json_lines(since) if loglines.mentions(x, code)]
    expect(
        not code or not leaked,
        "AUTH-OAUTH-04.no-code",
        f"a log line contains the authorization code: {str(leaked[:1])[:300]}",
    )
