"""Accounts over HTTP on both backends: register, OAuth2 password form, logout, uniform 401s."""

from __future__ import annotations

import uuid

import httpx

from tests.service.api.conftest import PASSWORD, register


def _name() -> str:
    return f"user-{uuid.uuid4().hex[:10]}"


class TestRegister:
    def test_created_user_is_lowercase(self, client: httpx.Client) -> None:
        name = _name()
        response = client.post("/api/v1/auth/register", json={"username": name.upper(), "password": PASSWORD})
        assert response.status_code == 201
        body = response.json()
        assert body["username"] == name and isinstance(body["id"], int) and body["created_at"].endswith("Z")
        assert set(body) == {"id", "username", "created_at"}

    def test_taken_username_is_409_in_any_case(self, client: httpx.Client) -> None:
        name = _name()
        assert (
            client.post("/api/v1/auth/register", json={"username": name, "password": PASSWORD}).status_code
            == 201
        )
        again = client.post(
            "/api/v1/auth/register", json={"username": name.upper(), "password": "other-password"}
        )
        assert again.status_code == 409 and again.json()["type"] == "Conflict"

    def test_invalid_fields_are_422_naming_them(self, client: httpx.Client) -> None:
        cases = [
            ({"username": "ab", "password": PASSWORD}, "body field 'username'"),
            ({"username": "no spaces", "password": PASSWORD}, "body field 'username'"),
            (
                {"username": _name(), "password": "short"},
                "body field 'password': String should have at least 8",
            ),
            ({"username": _name(), "password": "x" * 129}, "body field 'password'"),
        ]
        for body, detail in cases:
            response = client.post("/api/v1/auth/register", json=body)
            assert response.status_code == 422 and response.json()["detail"].startswith(detail), response.text


class TestToken:
    def test_form_login_gives_a_bearer_token_that_works(self, client: httpx.Client) -> None:
        name = _name()
        client.post("/api/v1/auth/register", json={"username": name, "password": PASSWORD})
        response = client.post("/api/v1/auth/token", data={"username": name.upper(), "password": PASSWORD})
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer" and len(body["access_token"]) >= 40 and body["expires_at"]
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.status_code == 200 and me.json()["username"] == name

    def test_wrong_username_or_password_is_the_same_401(self, client: httpx.Client) -> None:
        name = _name()
        client.post("/api/v1/auth/register", json={"username": name, "password": PASSWORD})
        wrong_password = client.post(
            "/api/v1/auth/token", data={"username": name, "password": "not-the-password"}
        )
        wrong_user = client.post("/api/v1/auth/token", data={"username": _name(), "password": PASSWORD})
        for response in (wrong_password, wrong_user):
            assert response.status_code == 401
            assert response.json() == {"type": "Unauthorized", "detail": "incorrect username or password"}
            assert response.headers["www-authenticate"] == "Bearer"

    def test_json_body_is_not_the_oauth2_form(self, client: httpx.Client) -> None:
        response = client.post("/api/v1/auth/token", json={"username": "x", "password": "y"})
        assert response.status_code == 422


class TestLogout:
    def test_revokes_only_the_presented_token(self, client: httpx.Client) -> None:
        name = _name()
        first = register(client, name)
        second_token = client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD}).json()
        second = {"Authorization": f"Bearer {second_token['access_token']}"}
        response = client.post("/api/v1/auth/logout", headers=first)
        assert response.status_code == 204 and response.content == b""
        assert client.get("/api/v1/me", headers=first).status_code == 401
        assert client.get("/api/v1/me", headers=second).status_code == 200
        assert client.post("/api/v1/auth/logout", headers=first).status_code == 401


class TestUnauthorized:
    def test_missing_malformed_and_unknown_tokens_are_401_with_www_authenticate(
        self, client: httpx.Client
    ) -> None:
        for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer nope"}):
            for method, path in [
                ("GET", "/api/v1/me"),
                ("GET", "/api/v1/me/settings"),
                ("GET", "/api/v1/study/next"),
                ("GET", "/api/v1/stats"),
                ("POST", "/api/v1/reviews/undo"),
                ("POST", "/api/v1/auth/logout"),
            ]:
                response = client.request(method, path, headers=headers)
                assert response.status_code == 401, (method, path, headers)
                assert response.json()["type"] == "Unauthorized"
                assert response.headers["www-authenticate"] == "Bearer"
