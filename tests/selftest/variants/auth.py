"""Variants of the demo's OAuth sign-in (add-oauth-providers): broken ones, each with one
defect, and correct-but-different ones. The demo's manifest claims the proposal and points
the demo at the suite's mock OAuth server."""

from __future__ import annotations

import dataclasses
import functools
import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import select
from starlette.responses import JSONResponse

from apiconform.reference.auth import accounts, flows, models, service, sessions, state
from apiconform.reference.auth import controller as auth_controller
from apiconform.reference.auth import errors as auth_errors
from apiconform.reference.auth.client import ProviderClient, Tokens
from apiconform.reference.auth.profiles import Profile
from apiconform.reference.errors.exceptions import BadRequest
from apiconform.spec import load_catalog
from tests.selftest.variants.base import Variant, register

AUTH = "add-oauth-providers"
CHECKED = frozenset(
    {
        "AUTH-OAUTH-01",
        "AUTH-OAUTH-02",
        "AUTH-OAUTH-03",
        "AUTH-OAUTH-04",
        "AUTH-SEC-01",
        "AUTH-ERR-01",
        "AUTH-ERR-02",
        "AUTH-ERR-04",
        "AUTH-SYNC-01",
        "AUTH-SYNC-02",
        "AUTH-LINK-01",
        "AUTH-LINK-02",
        "AUTH-USER-01",
        "AUTH-SEC-02",
    }
)
# the proposal's requirements without a check yet: every run skips them
UNCHECKED = frozenset(
    r.id for r in load_catalog() if r.proposal == AUTH and r.checkable and r.id not in CHECKED
)


# without a session that the current-user path takes, the user a sign-in made is unseen
NO_USER = frozenset(
    {"AUTH-SYNC-01", "AUTH-SYNC-02", "AUTH-LINK-01", "AUTH-LINK-02", "AUTH-USER-01", "AUTH-SEC-02"}
)


def _cookie_session(manifest: dict[str, Any]) -> None:
    manifest["auth"]["session"] = "cookie"


def auth_variant(
    kills: Mapping[str, str] | None = None,
    *,
    skips: frozenset[str] | set[str] = frozenset(),
    manifest: Callable[[dict[str, Any]], None] | None = None,
) -> Callable[[Callable[[], None]], Callable[[], None]]:
    def add(fn: Callable[[], None]) -> Callable[[], None]:
        register(
            Variant(
                fn.__name__.replace("_", "-"),
                (AUTH,),
                fn,
                dict(kills or {}),
                legit=kills is None,
                skips=UNCHECKED | frozenset(skips),
                manifest=manifest,
            )
        )
        return fn

    return add


def _edit_issue(edit: Callable[[state.PendingLogin], state.PendingLogin]) -> None:
    """Pending logins as ``edit`` changes them (stored under their new state)."""
    original = state.StateStore.issue

    def issue(self: state.StateStore, *args: Any, **kwargs: Any) -> state.PendingLogin:
        pending = original(self, *args, **kwargs)
        changed = edit(pending)
        with self._lock:
            self._pending.pop(pending.state, None)
            self._pending[changed.state] = changed
        return changed

    state.StateStore.issue = issue  # type: ignore[method-assign]


# -- broken ---------------------------------------------------------------------------------


@auth_variant({"AUTH-OAUTH-01": "AUTH-OAUTH-01.redirect"})
def github_without_scopes() -> None:
    """The configured scopes are dropped from GitHub's authorization request."""
    original = ProviderClient._client

    def client(self: ProviderClient, *args: Any, **kwargs: Any) -> Any:
        made = original(self, *args, **kwargs)
        if self.provider.name == "github":
            made.scope = None
        return made

    ProviderClient._client = client  # type: ignore[method-assign]


@auth_variant({"AUTH-OAUTH-01": "AUTH-OAUTH-01.state", "AUTH-SEC-01": "AUTH-SEC-01.bound"})
def fixed_state() -> None:
    """Every login gets the same state (so another browser's login takes it over)."""
    _edit_issue(lambda p: dataclasses.replace(p, state="conformance-fixed-state-0123456789"))


@auth_variant({"AUTH-OAUTH-01": "AUTH-OAUTH-01.pkce"})
def no_pkce() -> None:
    """No PKCE: no code challenge, no verifier."""
    _edit_issue(lambda p: dataclasses.replace(p, code_verifier=""))


@auth_variant(
    {
        "AUTH-OAUTH-02": "AUTH-OAUTH-02.exchanged",
        "AUTH-ERR-02": "AUTH-ERR-02.status",
        # the login ends as a new guest, never as the person the check added
        "AUTH-SYNC-01": "AUTH-SYNC-01.created",
        "AUTH-SYNC-02": "AUTH-SYNC-02.same-user",
        "AUTH-LINK-01": "AUTH-LINK-01.associated",
        "AUTH-USER-01": "AUTH-USER-01.single-identity",
        # the guest has no email: whose email it was is never seen
        "AUTH-LINK-02": "AUTH-LINK-02.refused",
    },
    # the guest's fake token opens nothing at the provider: provider calls cannot work
    skips={"AUTH-ERR-04", "AUTH-SEC-02"},
)
def code_not_exchanged() -> None:
    """The callback trusts the code without exchanging it and signs a new guest in (so
    an outage of the provider goes unnoticed too)."""

    async def login(
        self: ProviderClient, pending: state.PendingLogin, code: str
    ) -> tuple[Profile, Tokens]:
        guest = f"guest-{secrets.token_hex(6)}"
        profile = Profile(self.provider.name, guest, None, False, "Guest", None, {})
        return profile, Tokens("none", None, None)

    ProviderClient.login = login  # type: ignore[method-assign]


@auth_variant({"AUTH-OAUTH-02": "AUTH-OAUTH-02.session"}, skips=NO_USER)
def no_session_in_callback() -> None:
    """The callback signs the user in but hands no token over."""

    def session_json(auth: Any, user_id: int, *, status: int = 200) -> Any:
        return JSONResponse({"user_id": user_id}, status_code=status)

    flows.session_json = session_json


@auth_variant({"AUTH-OAUTH-02": "AUTH-OAUTH-02.signed-in"}, skips=NO_USER)
def sessions_never_verify() -> None:
    """The current-user route refuses every session token it issued."""

    def verify(self: sessions.SessionTokens, token: str) -> int:
        raise sessions.InvalidSession

    sessions.SessionTokens.verify = verify  # type: ignore[method-assign]


@auth_variant({"AUTH-OAUTH-03": "AUTH-OAUTH-03.status"}, skips={"AUTH-OAUTH-04"})
def bad_state_is_400() -> None:
    """A refused state is answered 400 instead of 401."""
    auth_errors.StateRejected.status = 400


@auth_variant(
    {"AUTH-OAUTH-03": "AUTH-OAUTH-03.no-exchange", "AUTH-SEC-01": "AUTH-SEC-01.bound"},
    skips={"AUTH-OAUTH-04"},
)
def state_not_checked() -> None:
    """The callback takes the newest pending login of the provider, whatever its state (the
    provider then refuses the code, too late: it was sent)."""

    def take(
        self: state.StateStore, given: str | None, provider: str, browser: str | None
    ) -> state.PendingLogin:
        with self._lock:
            mine = [p for p in self._pending.values() if p.provider == provider]
        if not mine:
            raise state.StateRefused("unknown")
        return mine[-1]

    state.StateStore.take = take  # type: ignore[method-assign]


@auth_variant({"AUTH-OAUTH-03": "AUTH-OAUTH-03.no-exchange", "AUTH-SEC-01": "AUTH-SEC-01.bound"})
def exchange_before_state() -> None:
    """The callback sends the code to the token endpoint before it checks the state."""
    original = auth_controller.AuthController.callback

    @functools.wraps(original)
    async def callback(
        self: Any,
        request: Any,
        provider: str,
        code: str | None = None,
        state: str | None = None,
        error: str | None = None,
    ) -> Any:
        if code and provider in self.auth.providers:
            settings = self.auth.providers[provider]
            form = {
                "grant_type": "authorization_code",
                "code": code,
                "client_id": settings.client_id,
                "client_secret": settings.client_secret,
            }
            async with httpx.AsyncClient(timeout=5) as client:
                await client.post(settings.endpoints.token, data=form)
        return await original(self, request, provider, code=code, state=state, error=error)

    auth_controller.AuthController.callback = callback  # type: ignore[method-assign]


def _refuse_states(log: Callable[[Any, str, str, str | None], None]) -> None:
    """State refusals logged by ``log(service, provider, reason, client_ip)``."""

    def check_state(
        self: Any, name: str, given: str | None, browser: str | None, client_ip: str | None
    ) -> state.PendingLogin:
        self.provider(name)
        try:
            return self.states.take(given, name, browser)  # type: ignore[no-any-return]
        except state.StateRefused as exc:
            log(self, name, exc.reason, client_ip)
            raise auth_errors.StateRejected() from None

    service.AuthService.check_state = check_state  # type: ignore[method-assign]


@auth_variant({"AUTH-OAUTH-04": "AUTH-OAUTH-04.logged"})
def refused_state_not_logged() -> None:
    """A refused state is answered 401 and logged nowhere but the access line."""
    _refuse_states(lambda svc, provider, reason, ip: None)


@auth_variant({"AUTH-OAUTH-04": "AUTH-OAUTH-04.names"})
def refused_state_logged_without_client() -> None:
    """The security warning of a refused state leaves the client address out."""
    _refuse_states(
        lambda svc, provider, reason, ip: svc.log.warning(
            "oauth.state_refused", provider=provider, reason=reason
        )
    )


@auth_variant({"AUTH-OAUTH-04": "AUTH-OAUTH-04.no-code"})
def callback_logs_its_query() -> None:
    """Every callback is logged with its query string, authorization code included."""
    original = auth_controller.AuthController.callback

    @functools.wraps(original)
    async def callback(
        self: Any,
        request: Any,
        provider: str,
        code: str | None = None,
        state: str | None = None,
        error: str | None = None,
    ) -> Any:
        self.auth.log.info("oauth.callback", provider=provider, query=str(request.url.query))
        return await original(self, request, provider, code=code, state=state, error=error)

    auth_controller.AuthController.callback = callback  # type: ignore[method-assign]


@auth_variant({"AUTH-SEC-01": "AUTH-SEC-01.bound"})
def state_not_bound_to_the_browser() -> None:
    """Any browser may complete a login: the browser cookie is not compared."""
    original = state.StateStore.take

    def take(
        self: state.StateStore, given: str | None, provider: str, browser: str | None
    ) -> state.PendingLogin:
        with self._lock:
            pending = self._pending.get(given or "")
        owner = None if pending is None else pending.browser
        return (
            original(self, given, provider, browser)
            if owner is None
            else _as_owner(original, self, given, provider, owner)
        )

    state.StateStore.take = take  # type: ignore[method-assign]


def _as_owner(
    take: Any, store: state.StateStore, given: str | None, provider: str, owner: str
) -> state.PendingLogin:
    """``take`` as if the browser were the one that started the login (its hash known)."""
    with store._lock:
        pending = store._pending.pop(given or "")
    store._pending[pending.state] = dataclasses.replace(pending, browser=state.digest("x"))
    return take(store, given, provider, "x")  # type: ignore[no-any-return]


@auth_variant(
    {"AUTH-SEC-01": "AUTH-SEC-01.single-use", "AUTH-OAUTH-03": "AUTH-OAUTH-03.no-exchange"}
)
def replayable_state() -> None:
    """A state stays valid after its callback (until it expires)."""
    original = state.StateStore.take

    def take(
        self: state.StateStore, given: str | None, provider: str, browser: str | None
    ) -> state.PendingLogin:
        pending = original(self, given, provider, browser)
        with self._lock:
            self._pending[pending.state] = pending
        return pending

    state.StateStore.take = take  # type: ignore[method-assign]


@auth_variant({"AUTH-ERR-01": "AUTH-ERR-01.redirect"})
def refusal_is_a_problem() -> None:
    """A refusal at the provider is answered with a 400 problem, not the error page."""
    original = auth_controller.AuthController.callback

    @functools.wraps(original)
    async def callback(
        self: Any,
        request: Any,
        provider: str,
        code: str | None = None,
        state: str | None = None,
        error: str | None = None,
    ) -> Any:
        if error is not None:
            raise BadRequest(f"sign-in refused at {provider}")
        return await original(self, request, provider, code=code, state=state, error=error)

    auth_controller.AuthController.callback = callback  # type: ignore[method-assign]


@auth_variant({"AUTH-ERR-01": "AUTH-ERR-01.no-raw-text"})
def refusal_passes_the_raw_text_on() -> None:
    """The error page is given the provider's own error_description to show."""
    original = auth_controller.AuthController.callback

    @functools.wraps(original)
    async def callback(
        self: Any,
        request: Any,
        provider: str,
        code: str | None = None,
        state: str | None = None,
        error: str | None = None,
    ) -> Any:
        response = await original(self, request, provider, code=code, state=state, error=error)
        description = request.query_params.get("error_description")
        if error is not None and description:
            location = response.headers["location"] + "&" + urlencode({"message": description})
            response.headers["location"] = location
        return response

    auth_controller.AuthController.callback = callback  # type: ignore[method-assign]


def _error_page_elsewhere(manifest: dict[str, Any]) -> None:
    manifest["target"]["start"] += " --set auth.error_page=/missing/error-page"


@auth_variant({"AUTH-ERR-01": "AUTH-ERR-01.page"}, manifest=_error_page_elsewhere)
def error_page_missing() -> None:
    """The configured error page does not exist (the redirect leads to a 404)."""


@auth_variant({"AUTH-ERR-02": "AUTH-ERR-02.status"}, skips={"AUTH-ERR-04"})
def outage_is_a_502() -> None:
    """A provider outage is answered 502."""
    auth_errors.ProviderDown.status = 502


@auth_variant({"AUTH-ERR-02": "AUTH-ERR-02.retry-after"})
def outage_without_retry_after() -> None:
    """The 503 of a provider outage does not say when to retry."""
    original = auth_errors.ProviderDown.__init__

    def init(self: Any, provider: str, alternatives: list[dict[str, Any]]) -> None:
        original(self, provider, alternatives)
        self.headers.pop("Retry-After", None)

    auth_errors.ProviderDown.__init__ = init  # type: ignore[method-assign]


@auth_variant({"AUTH-ERR-04": "AUTH-ERR-04.alternatives"})
def outage_without_alternatives() -> None:
    """The 503 of a provider outage suggests nothing else."""
    service.AuthService.alternatives = lambda self, failed: []  # type: ignore[method-assign]


@auth_variant({"AUTH-ERR-04": "AUTH-ERR-04.not-the-failed-one"})
def alternatives_include_the_failed_provider() -> None:
    """The alternatives list every provider, the failed one included."""
    original = service.AuthService.alternatives

    def alternatives(self: Any, failed: str) -> list[dict[str, Any]]:
        return [*original(self, failed), {"method": "oauth", "provider": failed}]

    service.AuthService.alternatives = alternatives  # type: ignore[method-assign]


# -- legit ----------------------------------------------------------------------------------


@auth_variant(manifest=_cookie_session)
def session_as_cookie() -> None:
    """Browser sessions only: the callback always sets an HttpOnly cookie and redirects;
    signing up and signing in with a password set it too."""
    flows.wants_json = lambda request: False

    def session_json(auth: Any, user_id: int, *, status: int = 200) -> Any:
        response = JSONResponse({"user_id": user_id}, status_code=status)
        cookie = auth.config.session_cookie
        response.set_cookie(cookie, auth.sessions.issue(user_id), httponly=True, path="/")
        return response

    flows.session_json = session_json


@auth_variant()
def hex_state() -> None:
    """The state is 128 random bits in hex, not 256 in base64url."""
    _edit_issue(lambda p: dataclasses.replace(p, state=secrets.token_hex(16)))


def _edit_profiles(edit: Callable[[Profile], Profile]) -> None:
    """Every provider sign-in goes through with the profile as ``edit`` changes it."""
    original = accounts.Accounts.sign_in

    async def sign_in(self: accounts.Accounts, profile: Profile, tokens: Tokens) -> int:
        return await original(self, edit(profile), tokens)

    accounts.Accounts.sign_in = sign_in  # type: ignore[method-assign]


@auth_variant({"AUTH-SYNC-01": "AUTH-SYNC-01.verified"})
def unverified_email_trusted() -> None:
    """Every provider email is taken as verified, whatever the provider says."""
    _edit_profiles(lambda p: dataclasses.replace(p, email_verified=True))


@auth_variant({"AUTH-SYNC-01": "AUTH-SYNC-01.profile"})
def profile_not_copied() -> None:
    """A new user keeps the provider's email but not its name or avatar."""
    _edit_profiles(lambda p: dataclasses.replace(p, name=None, avatar_url=None))


@auth_variant(
    {
        "AUTH-SYNC-01": "AUTH-SYNC-01.provider",
        # the linked account shows its id without its provider too
        "AUTH-USER-01": "AUTH-USER-01.stored",
    }
)
def provider_name_not_kept() -> None:
    """The user's linked accounts keep the provider user id but not the provider's name."""
    original = accounts.Accounts.describe

    async def describe(self: accounts.Accounts, user_id: int) -> dict[str, Any] | None:
        found = await original(self, user_id)
        if found is not None:
            found["accounts"] = [{"provider_id": a["provider_id"]} for a in found["accounts"]]
        return found

    accounts.Accounts.describe = describe  # type: ignore[method-assign]


# the provider user id is then nowhere in the current user: AUTH-SYNC-01 cannot see it
@auth_variant(
    {
        "AUTH-SYNC-02": "AUTH-SYNC-02.same-user",
        # a linked account is not found by its provider id either
        "AUTH-LINK-01": "AUTH-LINK-01.associated",
        "AUTH-USER-01": "AUTH-USER-01.single-identity",
    },
    skips={"AUTH-SYNC-01"},
)
def returning_users_matched_by_email() -> None:
    """A returning person is found by email: the account of the user with the profile's
    email is theirs, and an email no user has makes a new user."""
    original = accounts.Accounts.sign_in

    async def sign_in(self: accounts.Accounts, profile: Profile, tokens: Tokens) -> int:
        email = accounts._email(profile.email)
        known = None
        async with self.database.session() as session:
            user = await self._user_by_email(session, email) if email else None
            if user is not None:
                known = await session.scalar(
                    select(models.OAuthAccount).where(
                        models.OAuthAccount.user_id == user.id,
                        models.OAuthAccount.provider == profile.provider,
                    )
                )
        identity = known.provider_id if known is not None else f"{profile.provider_id}:{email}"
        return await original(self, dataclasses.replace(profile, provider_id=identity), tokens)

    accounts.Accounts.sign_in = sign_in  # type: ignore[method-assign]


@auth_variant({"AUTH-SYNC-02": "AUTH-SYNC-02.last-login"})
def last_login_kept_from_the_first_sign_in() -> None:
    """Sign-ins record the time of the first one: the last login never moves."""
    first = accounts.now()
    accounts.now = lambda: first  # type: ignore[assignment]
