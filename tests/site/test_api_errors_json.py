"""Every error under /api/ is JSON (scripts parse it), never Django's HTML page; a 503
carries Retry-After; a dependency failure that escapes a view is a 503, not a 500."""

from __future__ import annotations

import pytest
from django.test import Client
from redis.exceptions import RedisClusterException

from tests.conftest import logged_in


def _json_error(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["error"], str)
    assert body["error"]
    return body


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/", "/api/nothing-here/", "/api/ladder/extra/"])
def test_an_unknown_api_path_is_a_json_404_for_anyone(path, trader) -> None:
    for client in (Client(), logged_in(trader)):
        body = _json_error(client.get(path), 404)
        assert body["status"] == 404


@pytest.mark.django_db
def test_a_method_the_api_does_not_take_is_a_json_405_with_allow(trader) -> None:
    response = logged_in(trader).post("/api/ladder/")
    _json_error(response, 405)
    assert "GET" in response["Allow"]


@pytest.mark.django_db
def test_401_and_403_stay_json(oncall) -> None:
    _json_error(Client().get("/api/ladder/"), 401)
    _json_error(logged_in(oncall).get("/api/spot-risk/"), 403)


# The tests that patch a read take ``stack``: a reachable state store and no API answer
# cached by an earlier test on the same xdist worker (either made them pass or fail by
# the order the worker ran them in).
@pytest.mark.django_db
def test_an_unexpected_error_is_a_json_500_with_the_request_id(stack, trader, monkeypatch) -> None:
    # A bug we cannot cause through data any more: the read model itself raising.
    # The store is up (stack): the API's cache asks it first, and a store that is
    # down is a 503, another test's case.
    def broken(**_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("ladder.api.spot_risk_snapshot", broken)
    client = logged_in(trader)
    client.raise_request_exception = False
    response = client.get("/api/spot-risk/", HTTP_X_REQUEST_ID="req-500-json")
    body = _json_error(response, 500)
    assert body["request_id"] == "req-500-json"
    assert "a bug" not in body["error"]


@pytest.mark.django_db
def test_a_store_error_escaping_an_api_view_is_a_503_with_retry_after(
    stack, trader, monkeypatch
) -> None:
    # A read path that forgets to convert the cluster client's own exception (the
    # 50 req/s probe saw it in feed_ages): the middleware's net, not a 500.
    def escaping(**_: object) -> None:
        raise RedisClusterException("Error 111 connecting to 10.0.3.7:6379.")

    monkeypatch.setattr("ladder.api.ladder_snapshot", escaping)
    client = logged_in(trader)
    client.raise_request_exception = False
    response = client.get("/api/ladder/")
    body = _json_error(response, 503)
    assert int(response["Retry-After"]) > 0
    assert "10.0.3.7" not in response.content.decode()
    assert "state store" in body["error"]


@pytest.mark.django_db
def test_a_store_error_escaping_a_page_is_a_503_page_with_the_banner(
    stack, trader, monkeypatch
) -> None:
    def escaping(**_: object) -> None:
        raise RedisClusterException("Error 111 connecting to 10.0.3.7:6379.")

    monkeypatch.setattr("ladder.views.spot_risk_snapshot", escaping)
    client = logged_in(trader)
    client.raise_request_exception = False
    response = client.get("/ladder/spot-risk/")
    assert response.status_code in (200, 503)
    assert b"State store unavailable" in response.content
    assert b"10.0.3.7" not in response.content
