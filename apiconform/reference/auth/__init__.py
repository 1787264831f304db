"""OAuth sign-in with Google, GitHub, Facebook and Microsoft, local accounts, linking and
session JWTs (the add-oauth-providers proposal), plugged in as the :class:`Auth` feature."""

from apiconform.reference.auth.config import AuthConfig, ProviderSettings
from apiconform.reference.auth.decorator import OAuthLogin, oauth
from apiconform.reference.auth.feature import Auth
from apiconform.reference.auth.guard import authenticated

__all__ = ["Auth", "AuthConfig", "OAuthLogin", "ProviderSettings", "authenticated", "oauth"]
