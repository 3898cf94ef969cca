"""The access token that a console on a non-loopback address requires."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dataerrors.console.access import TOKEN_COOKIE, is_loopback, new_token
from dataerrors.console.app import create_app
from dataerrors.console.server import access_token
from dataerrors.errors import InvalidInputError
from tests.console_support import make_synthetic_run

TOKEN = "a-token-of-more-than-16-characters"


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    run = make_synthetic_run(tmp_path / "runs", n_train=20, n_test=5)
    return TestClient(create_app(run.folder, token=TOKEN))


def test_request_without_token_rejected(client: TestClient) -> None:
    for path in ("/", "/api/runs", "/api/openapi.json", "/vendor/plotly.min.js"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert "access token" in response.json()["message"]


def test_wrong_token_rejected(client: TestClient) -> None:
    assert client.get("/api/runs", params={"token": "x" * 32}).status_code == 401
    assert client.get("/api/runs", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401


def test_token_in_url_sets_cookie(client: TestClient) -> None:
    response = client.get("/", params={"token": TOKEN})
    assert response.status_code == 200
    assert client.cookies.get(TOKEN_COOKIE) == TOKEN
    assert client.get("/api/runs").status_code == 200


def test_bearer_token_accepted(client: TestClient) -> None:
    response = client.get("/api/runs", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200


def test_short_token_rejected(tmp_path: Path) -> None:
    run = make_synthetic_run(tmp_path / "runs", n_train=20, n_test=5)
    with pytest.raises(InvalidInputError, match="token is too short"):
        create_app(run.folder, token="short")


def test_token_required_off_loopback() -> None:
    assert access_token("127.0.0.1", None) is None
    assert access_token("::1", None) is None
    assert access_token("localhost", None) is None
    generated = access_token("0.0.0.0", None)
    assert generated is not None and len(generated) >= 32
    assert access_token("192.0.2.10", TOKEN) == TOKEN


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.2")
    assert is_loopback("[::1]")
    assert not is_loopback("0.0.0.0")
    assert new_token() != new_token()
