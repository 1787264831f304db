"""ERR-CTX-02 and ERR-CTX-03: what a crash shows a client in development and hides from
one in production.

The crash probe raises an unhandled exception whose message holds a secret the suite
chose, so "the full error" and "nothing of the error" are judged on that secret, whatever
the target's language and wording.
"""

from __future__ import annotations

from apiconform.conformance.checks.errors.problem import crash, crash_secret, server_error
from apiconform.conformance.context import CheckContext
from apiconform.conformance.correlation import json_body, new_id
from apiconform.conformance.patterns import holds_stack, leaks
from apiconform.conformance.registry import CheckSkipped, check, expect


@check("ERR-CTX-02")
def development_errors_carry_the_stack(ctx: CheckContext) -> None:
    """In development a crash's answer carries the stack trace and the full error (the
    exception's own message)."""
    errors = ctx.manifest.errors
    if errors.development_url:
        client = ctx.client(errors.development_url)
    elif errors.environment == "development":
        client = ctx.client()
    else:
        raise CheckSkipped("the target declares no errors.development_url")
    secret = crash_secret()
    response = crash(ctx, client, secret, new_id())
    server_error(response, "the development crash")
    body = json_body(response)
    expect(
        holds_stack(body if body is not None else response.text),
        "ERR-CTX-02.stack",
        f"the development answer holds no stack trace: {response.text[:300]!r}",
    )
    url = response.request.url  # an echo of the request's URL is not the error's message
    text = response.text.replace(str(url), "").replace(url.raw_path.decode(), "")
    expect(
        secret in text,
        "ERR-CTX-02.full-error",
        f"the development answer does not carry the exception's message {secret!r}",
    )


@check("ERR-CTX-03")
def production_errors_hide_internals(ctx: CheckContext) -> None:
    """In production a crash's answer has no stack and nothing of the exception: not its
    message, nor the internals the manifest names, nor file paths or SQL."""
    errors = ctx.manifest.errors
    if errors.environment != "production":
        raise CheckSkipped("the manifest declares a development target")
    secret = crash_secret()
    response = crash(ctx, ctx.client(), secret, new_id())
    server_error(response, "the crash")
    body = json_body(response)
    # the request's own URL (its query holds the message) may be echoed, as in instance
    url = response.request.url
    text = response.text.replace(str(url), "").replace(url.raw_path.decode(), "")
    expect(
        not holds_stack(body if body is not None else text),
        "ERR-CTX-03.no-stack",
        f"the production answer holds a stack trace: {text[:300]!r}",
    )
    leaked = [s for s in (secret, *errors.crash_secrets) if s in text]
    expect(
        not leaked,
        "ERR-CTX-03.sanitized",
        f"the exception's message reaches the client: {leaked[0] if leaked else ''!r}",
    )
    found = leaks(text)
    expect(
        not found, "ERR-CTX-03.no-internals", f"the production answer shows {found}: {text[:300]!r}"
    )
