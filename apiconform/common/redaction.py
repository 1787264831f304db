"""One set of rules for keeping credentials out of everything apiconform writes: log
lines, problem bodies, Sentry events, webhook payloads, the mock OAuth journal and
conformance evidence.

Two kinds of input:

* **named values** (mapping keys, header names, form fields, JSON members, query
  parameters): :func:`is_secret_name` decides by the name;
* **free text** (exception messages, stacks, URLs): :func:`redact_text` masks URL
  credentials (``scheme://user:p@ss@host``), ``name=value`` / ``name: value`` pairs and
  JSON or Python-literal ``"name": "value"`` members with a secret name, and
  ``Bearer`` / ``Basic`` credentials.

Masked values become :data:`REDACTED`. Callers with stricter needs (evidence also hides
OAuth codes and PKCE verifiers) pass ``extra`` names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[redacted]"

# Exact names (compared lower-case, with "-" read as "_").
SECRET_NAMES = frozenset(
    {
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "x_api_key",
        "dsn",
        "private_key",
        "client_assertion",
        "fb_exchange_token",
        "session",
    }
)
# Name endings that mark a credential: client_secret, access_token, refresh_token,
# id_token, csrf_token, db_password, ... but not token_type or expires_in.
SECRET_SUFFIXES = ("_secret", "_token", "_password", "_key")

_NAME = r"[A-Za-z0-9_-]*(?:password|passwd|pwd|secret|token|api[_-]?key|dsn|authorization)"
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#]*@")
_QUOTED_MEMBER = re.compile(
    r"""(?ix)
    (["'])("""
    + _NAME
    + r""")\1      # "password" or 'password'
    (\s*:\s*)
    (?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    """
)
_PAIR = re.compile(
    r"""(?ix)
    (?<![A-Za-z0-9_-])("""
    + _NAME
    + r""")
    (\s*[=:]\s*)
    (?!\[redacted\])(?!(?:bearer|basic|token)\s)
    (?:"[^"]*"|'[^']*'|[^\s,;&"']+)
    """
)
# RFC 6750 b64token after an auth scheme, ending at a token boundary (so that
# "token_type=bearer expires_in=3600" keeps its expires_in)
_AUTH_SCHEME = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/-]{8,}=*(?![\w.~+/=-])")
# an Authorization header written out, whatever its scheme (GitHub's "token", Digest, ...)
_AUTH_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)"
    r"(?:(bearer|basic|token|digest|negotiate)\s+)?(?!\[redacted\])[^\s\"',;]+"
)
# Every pattern above needs one of these (lower-cased) in the text; most text has none,
# and a few substring searches decide that faster than the patterns would.
_TRIGGERS = ("passw", "pwd", "secret", "token", "key", "dsn", "bearer", "basic", "auth", "://")


_TRIGGER = re.compile("|".join(re.escape(t) for t in _TRIGGERS))


def may_hold_credentials(text: str) -> bool:
    """A quick test: False means :func:`redact_text` would leave ``text`` as it is."""
    return _TRIGGER.search(text.lower()) is not None


def _canonical(name: str) -> str:
    return name.strip().lower().replace("-", "_")


_KNOWN: dict[str, bool] = {}  # name -> verdict, for the names met most (log fields)
_KNOWN_MAX = 4096


def is_secret_name(name: str, extra: Collection[str] = ()) -> bool:
    """Whether a value named ``name`` is a credential (``extra``: more exact names)."""
    verdict = _KNOWN.get(name)
    if verdict is None:
        canonical = _canonical(name)
        verdict = canonical in SECRET_NAMES or canonical.endswith(SECRET_SUFFIXES)
        if len(_KNOWN) < _KNOWN_MAX:
            _KNOWN[name] = verdict
    if verdict or not extra:
        return verdict
    return _canonical(name) in {_canonical(e) for e in extra}


def redact_text(text: str) -> str:
    """``text`` with URL credentials, secret ``name=value`` pairs, secret quoted members
    and ``Bearer``/``Basic`` credentials masked."""
    if not may_hold_credentials(text):
        return text
    text = _URL_USERINFO.sub(r"\1" + REDACTED + "@", text)
    text = _QUOTED_MEMBER.sub(lambda m: f"{m[1]}{m[2]}{m[1]}{m[3]}{m[1]}{REDACTED}{m[1]}", text)
    text = _AUTH_HEADER.sub(lambda m: f"{m[1]}{m[2] + ' ' if m[2] else ''}{REDACTED}", text)
    text = _AUTH_SCHEME.sub(r"\1 " + REDACTED, text)
    return _PAIR.sub(r"\1\2" + REDACTED, text)


def redact_mapping(
    mapping: MutableMapping[str, Any],
    extra: Collection[str] = (),
    *,
    text: bool = True,
    plain: Collection[str] = (),
) -> bool:
    """Mask, in place, values under secret names (nested mappings and lists included)
    and, with ``text``, credentials inside the other string values, except those of the
    top-level keys in ``plain`` (values the caller made itself, such as ids and
    timestamps). Whether anything was masked under a secret name."""
    found = False
    known = _KNOWN
    texts: list[str] = []
    for key, value in mapping.items():
        if value is None:
            continue
        secret = known.get(key) if not extra else None
        if secret is None:
            secret = is_secret_name(str(key), extra)
        if secret:
            mapping[key], found = REDACTED, True
        elif isinstance(value, str):
            if text and key not in plain:
                texts.append(key)
        elif isinstance(value, MutableMapping):
            found = redact_mapping(value, extra, text=text) or found
        elif isinstance(value, list):
            found = _redact_list(value, extra, text) or found
    # one look at all the text first: most log lines hold nothing to mask
    if texts and may_hold_credentials("\n".join(mapping[key] for key in texts)):
        for key in texts:
            mapping[key] = redact_text(mapping[key])
    return found


def _redact_list(items: list[Any], extra: Collection[str], text: bool) -> bool:
    found = False
    for index, item in enumerate(items):
        if isinstance(item, MutableMapping):
            found = redact_mapping(item, extra, text=text) or found
        elif isinstance(item, list):
            found = _redact_list(item, extra, text) or found
        elif text and isinstance(item, str):
            items[index] = redact_text(item)
    return found


def redact_pairs(
    pairs: Mapping[str, str] | list[tuple[str, str]], extra: Collection[str] = ()
) -> list[tuple[str, str]]:
    """Header, query or form pairs with the secret ones masked."""
    items = list(pairs.items()) if isinstance(pairs, Mapping) else list(pairs)
    return [(k, REDACTED if is_secret_name(k, extra) else v) for k, v in items]


def redact_url(url: str, extra: Collection[str] = ()) -> str:
    """``url`` without its password and with secret query parameters masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_name(k, extra) for k, _ in pairs):
            query = urlencode(redact_pairs(pairs, extra), safe="[]")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def redact_body(body: str, content_type: str = "", extra: Collection[str] = ()) -> str:
    """A request or response body with credentials masked: JSON members, form fields
    (whatever the content type said), and credentials in free text."""
    stripped = body.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict | list):
            holder = {"_": parsed}
            if redact_mapping(holder, extra):
                return json.dumps(parsed, ensure_ascii=False)
            return redact_text(body)
    if "=" in body and ("form" in content_type or not content_type or "\n" not in body):
        pairs = parse_qsl(body, keep_blank_values=True)
        if pairs and any(is_secret_name(k, extra) for k, _ in pairs):
            return urlencode(redact_pairs(pairs, extra), safe="[]")
    return redact_text(body)
