"""Checks of add-oauth-providers (``AUTH-*``), one module per concept; importing the
package registers them.

The target's providers point at the suite's mock OAuth server (``{oauth_mock_url}`` in its
start command, managed mode); the manifest's ``[auth]`` section names the providers and
the login, callback and current-user paths. The mock runs in auto-approve mode, so a
login is: the target's login path, the mock's authorize URL, the target's callback.
"""

from apiconform.conformance.checks.auth import failures, linking, login, refresh, state, users

__all__ = ["failures", "linking", "login", "refresh", "state", "users"]
