"""The pytest plugin, run as a user would enable it (``-p apiconform.mocks.pytest``)."""

from __future__ import annotations

import pytest

INI = """
[pytest]
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makeini(INI)
    return pytester.runpytest(
        "-p", "apiconform.mocks.pytest", "-p", "no:benchmark", "--strict-markers", *args
    )


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.mock_oauth(**options):*"])


def test_mock_oauth_fixture_serves_over_http_and_takes_the_marker(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        @pytest.mark.mock_oauth(auto_approve=True, faults={"github": {"outage": True}})
        def test_server(mock_oauth):
            assert mock_oauth.url.startswith("http://127.0.0.1:")
            google = mock_oauth.provider("google")
            assert httpx.get(google.discovery).json()["issuer"] == f"{mock_oauth.url}/google"
            assert httpx.get(mock_oauth.provider("github").user).status_code == 503
            assert mock_oauth.client_id == "apiconform-client"
            assert mock_oauth.client_secret == "apiconform-secret"
            assert mock_oauth.requests.last("github").status == 503
            mock_oauth.faults.clear()

        def test_defaults(mock_oauth):
            assert mock_oauth.app.config.auto_approve is False
            assert not mock_oauth.faults.get("github").outage
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_closest_marker_wins_and_config_fixture_can_be_overridden(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        import pytest
        from apiconform.mocks.oauth_server import MockOAuthConfig, ClientConfig

        @pytest.fixture
        def mock_oauth_config():
            return MockOAuthConfig(clients=[ClientConfig(client_id="mine")], pkce_plain=True)
        """
    )
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.mock_oauth(auto_approve=False, require_pkce=True)

        @pytest.mark.mock_oauth(auto_approve=True)
        class TestSome:
            @pytest.mark.mock_oauth(auto_approve=False)
            def test_function_marker(self, mock_oauth_respx):
                config = mock_oauth_respx.app.config
                assert (config.auto_approve, config.require_pkce) == (False, True)
                assert mock_oauth_respx.client_id == "mine"
                assert config.pkce_plain is True

            def test_class_marker(self, mock_oauth_respx):
                assert mock_oauth_respx.app.config.auto_approve is True
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_respx_fixture_mocks_the_real_hosts(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        @pytest.mark.mock_oauth(users={"github": [{"id": "7", "name": "Seven"}]})
        def test_respx(mock_oauth_respx):
            assert mock_oauth_respx.users.list("github")[0].name == "Seven"
            r = httpx.get("https://api.github.com/user")
            assert r.json()["message"] == "Requires authentication"
        """
    )
    run(pytester).assert_outcomes(passed=1)


def test_bad_marker_arguments_are_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mock_oauth("google")
        def test_positional(mock_oauth_respx):
            pass

        @pytest.mark.mock_oauth(auto_approve="perhaps")
        def test_invalid(mock_oauth):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*takes keyword arguments only*", "*auto_approve*"])


def test_factories_and_redis_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_factories(data_factory, request_factory):
            assert data_factory.user().email == "user1@example.com"
            assert request_factory.request("POST", "/x").method == "POST"

        @pytest.mark.asyncio
        async def test_redis(redis_handle):
            await redis_handle.client.set(redis_handle.key("k"), "v")
            assert await redis_handle.client.get(redis_handle.key("k")) == "v"
        """
    )
    run(pytester).assert_outcomes(passed=2)
