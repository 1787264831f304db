"""The consent page a browser sees: pick a test user, then Approve or Deny.

Every value from the request or the configuration is HTML-escaped: a client's ``scope`` or
a seeded user's name must not be able to inject markup into the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from starlette.responses import HTMLResponse

from apiconform.mocks.oauth_server.config import MockUser
from apiconform.mocks.oauth_server.state import PendingConsent

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in with {provider} - apiconform mock</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; }}
fieldset {{ border: 1px solid #ccc; border-radius: .5rem; }}
label {{ display: block; margin: .4rem 0; }}
button {{ margin-right: 1rem; padding: .5rem 1.5rem; }}
.muted {{ color: #555; font-size: .9rem; }}
</style>
</head>
<body>
<h1>Sign in with {provider}</h1>
<p><strong id="client">{client}</strong> wants to access your account.</p>
<p class="muted">Scopes: <span id="scopes">{scopes}</span></p>
<form method="post" action="{action}">
<input type="hidden" name="request_id" value="{request_id}">
<fieldset>
<legend>Test user</legend>
{users}
</fieldset>
<p>
<button type="submit" name="decision" value="approve" id="approve">Approve</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
</p>
</form>
<p class="muted">apiconform mock OAuth server - not the real {provider}.</p>
</body>
</html>
"""

_USER = (
    '<label><input type="radio" name="user" value="{id}" id="user-{id}"{checked}> '
    '{name} <span class="muted">{email}</span></label>'
)


def consent_page(
    *,
    provider: str,
    action: str,
    pending: PendingConsent,
    users: Sequence[MockUser],
    selected: str,
) -> HTMLResponse:
    """The consent page for ``pending``, with ``selected`` preselected."""
    rows = "\n".join(
        _USER.format(
            id=escape(user.id),
            checked=" checked" if user.id == selected else "",
            name=escape(user.name),
            email=escape(user.email or "(no email)"),
        )
        for user in users
    )
    page = _PAGE.format(
        provider=escape(provider),
        client=escape(pending.client_id),
        scopes=escape(" ".join(pending.scopes) or "(none)"),
        action=escape(action),
        request_id=escape(pending.id),
        users=rows,
    )
    # The page must not be cached or framed: it carries a single-use request id.
    headers = {"cache-control": "no-store", "x-frame-options": "DENY"}
    return HTMLResponse(page, headers=headers)
