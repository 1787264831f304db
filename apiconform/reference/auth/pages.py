"""The error page of a failed provider sign-in: a short code in, a friendly message out,
everything HTML-escaped (the code and message come from the query string)."""

from __future__ import annotations

import html

MESSAGES = {
    "access_denied": "You cancelled the sign-in at the provider. Nothing was changed.",
    "provider_error": "The provider could not complete the sign-in. Please try again.",
}


def error_page(code: str | None, message: str | None, sign_in_links: list[tuple[str, str]]) -> str:
    known = MESSAGES.get(code or "")
    text = known or message or MESSAGES["provider_error"]
    links = "".join(
        f'<li><a href="{html.escape(href)}">{html.escape(label)}</a></li>'
        for label, href in sign_in_links
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Sign-in failed</title>"
        "</head><body><h1>Sign-in failed</h1>"
        f'<p id="message">{html.escape(text[:300])}</p>'
        f'<p>Code: <code id="code">{html.escape((code or "provider_error")[:64])}</code></p>'
        f"<ul>{links}</ul></body></html>"
    )
