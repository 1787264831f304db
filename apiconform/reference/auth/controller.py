"""The auth routes: provider sign-in and callback, the current user, local accounts,
linking and unlinking, the error page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from apiconform.reference.auth import flows
from apiconform.reference.auth.accounts import AccountConflict, NoSuchLink
from apiconform.reference.auth.errors import AccountConflictError, BadCredentials
from apiconform.reference.auth.guard import authenticated
from apiconform.reference.auth.pages import error_page
from apiconform.reference.auth.service import AuthService
from apiconform.reference.errors.exceptions import NotFound
from apiconform.reference.kernel import controller, delete, get, post

ProviderPath = Annotated[str, Path(pattern=r"^[a-z]{1,20}$")]
Param = Annotated[str | None, Query(max_length=4096)]


class Credentials(BaseModel):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    password: str = Field(min_length=8, max_length=256)


class Registration(Credentials):
    name: str | None = Field(default=None, min_length=1, max_length=200)


@controller("auth", tags=["auth"])
class AuthController:
    def __init__(self, auth: AuthService) -> None:
        self.auth = auth

    # local accounts and the session ------------------------------------------------------

    @get("/me")
    @authenticated
    async def me(self, request: Request) -> dict[str, Any]:
        accounts = await self.auth.accounts()
        found = await accounts.describe(request.state.user_id)
        assert found is not None  # the guard checked the user exists
        return found

    @post("/register", status_code=201)
    async def register(self, data: Registration) -> Response:
        self._local_accounts()
        accounts = await self.auth.accounts()
        try:
            user_id = await accounts.register(data.email, data.password, data.name)
        except AccountConflict as exc:
            raise AccountConflictError(str(exc)) from None
        return self._session_json(user_id, status=201)

    @post("/login")
    async def login(self, data: Credentials) -> Response:
        self._local_accounts()
        accounts = await self.auth.accounts()
        user_id = await accounts.password_login(data.email, data.password)
        if user_id is None:
            raise BadCredentials()
        return self._session_json(user_id)

    @post("/logout", status_code=204)
    async def logout(self) -> Response:
        response = Response(status_code=204)
        response.delete_cookie(self.auth.config.session_cookie, path="/")
        return response

    @get("/error")
    async def error(self, code: Param = None, message: Param = None) -> HTMLResponse:
        links = [(p.kind.title, f"/auth/{n}") for n, p in self.auth.providers.items()]
        return HTMLResponse(error_page(code, message, links))

    # provider flows ------------------------------------------------------------------------

    @get("/{provider}")
    async def start(self, request: Request, provider: ProviderPath) -> Response:
        return self._redirect_to_provider(request, provider, None)

    @get("/{provider}/callback")
    async def callback(
        self,
        request: Request,
        provider: ProviderPath,
        code: Param = None,
        state: Param = None,
        error: Param = None,
    ) -> Response:
        self.auth.provider(provider)
        if error is not None:
            return flows.declined(self.auth, provider, error)
        user_id, linked = await flows.finish(self.auth, request, provider, code, state)
        if linked and flows.wants_json(request):
            return JSONResponse({"linked": provider, "user_id": user_id})
        return flows.session_response(self.auth, request, user_id)

    @get("/{provider}/profile")
    @authenticated
    async def provider_profile(self, request: Request, provider: ProviderPath) -> dict[str, Any]:
        """Calls the provider on the user's behalf (refreshing an expired token)."""
        profile = await self.auth.provider_profile(request.state.user_id, provider)
        return {
            "provider": profile.provider,
            "provider_id": profile.provider_id,
            "email": profile.email,
            "name": profile.name,
        }

    @post("/{provider}/link")
    @authenticated
    async def link(self, request: Request, provider: ProviderPath) -> Response:
        return self._redirect_to_provider(request, provider, request.state.user_id)

    @delete("/{provider}/link", status_code=204)
    @authenticated
    async def unlink(self, request: Request, provider: ProviderPath) -> Response:
        accounts = await self.auth.accounts()
        try:
            await accounts.unlink(request.state.user_id, provider)
        except NoSuchLink:
            raise NotFound(f"no {provider} account is linked to this user") from None
        except AccountConflict as exc:
            raise AccountConflictError(str(exc)) from None
        return Response(status_code=204)

    # helpers -------------------------------------------------------------------------------

    def _local_accounts(self) -> None:
        if not self.auth.config.local_accounts:
            raise NotFound("local accounts are disabled")

    def _session_json(self, user_id: int, *, status: int = 200) -> Response:
        return flows.session_json(self.auth, user_id, status=status)

    def _redirect_to_provider(
        self, request: Request, provider: str, link_user_id: int | None
    ) -> Response:
        callback = f"/auth/{provider}/callback"
        return flows.redirect_to_provider(
            self.auth, request, provider, callback, link_user_id=link_user_id
        )
