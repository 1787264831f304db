"""Playing the browser: follow an authorize URL through the consent page to the callback.

For tests that exercise a client's callback handling without a real browser; the
consent page's own HTML is read, so the page itself is under test as well.
"""

from __future__ import annotations

import html
import re

import httpx

from apiconform.mocks.oauth_server.errors import MockOAuthError

_ACTION = re.compile(r'<form method="post" action="([^"]*)">')
_REQUEST_ID = re.compile(r'name="request_id" value="([^"]*)"')
_CHECKED = re.compile(r'name="user" value="([^"]*)" id="[^"]*" checked')


async def complete_authorization(
    client: httpx.AsyncClient, url: str, *, user: str | None = None, approve: bool = True
) -> str:
    """The URL the provider redirects the browser to after ``url`` (an authorization
    request): the client's callback with ``code`` and ``state``, or with ``error``. Any
    fragment (Facebook appends ``#_=_``) is dropped, as a browser keeps it to itself: the
    result is what the client's callback endpoint receives.

    ``user`` picks the test user on the consent page (default: the preselected one);
    ``approve=False`` presses Deny. In auto-approve mode there is no page to answer.
    """
    response = await client.get(url)
    if response.is_redirect:
        return _callback(response)
    if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
        raise MockOAuthError(f"authorization failed: HTTP {response.status_code}: {response.text}")
    page = response.text
    action, request_id = _ACTION.search(page), _REQUEST_ID.search(page)
    if action is None or request_id is None:
        raise MockOAuthError("authorization failed: the page is not the mock's consent page")
    checked = _CHECKED.search(page)
    form = {
        "request_id": html.unescape(request_id.group(1)),
        "decision": "approve" if approve else "deny",
        "user": user or (html.unescape(checked.group(1)) if checked else ""),
    }
    answer = await client.post(html.unescape(action.group(1)), data=form)
    if not answer.is_redirect:
        raise MockOAuthError(f"consent failed: HTTP {answer.status_code}: {answer.text}")
    return _callback(answer)


def _callback(response: httpx.Response) -> str:
    return str(response.headers["location"]).split("#", 1)[0]
