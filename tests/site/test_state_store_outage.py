"""The state store down: every page still answers (last data, a banner), the API
answers 503 with Retry-After, and everything recovers by itself when it is back."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import OwnStateStore, logged_in
from tests.feeds.ingest.conftest import feed_queue  # noqa: F401 - fixture
from tests.ladder.pages.conftest import sample_desk_ingest
from tests.ladder.pages.html import parse

PAGES = [
    reverse("ladder:ladder"),
    reverse("ladder:spot_risk"),
    reverse("ladder:analytics"),
    reverse("ops:health"),
    reverse("ops:feed", args=["spot-risk"]),
    reverse("ops:feed", args=["tt-positions"]),
    reverse("ops:alarms"),
    reverse("ops:alarm", args=["worker-not-running"]),
    reverse("ops:incidents"),
    reverse("ops:runbooks"),
]
API = [reverse("api:ladder"), reverse("api:spot_risk")]
JSON_READS = [reverse("ladder:analytics-smile"), reverse("ladder:analytics-latency")]
RECOVERY_DEADLINE_S = 15


@pytest.fixture
def desk_in_own_store(own_state_store, feed_queue) -> OwnStateStore:  # noqa: F811
    sample_desk_ingest(feed_queue)
    return own_state_store


def _banner(response) -> str | None:
    found = parse(response.content).find(id="store-banner")
    return None if found is None else found.text


def _no_internal_endpoint(body: bytes, store: OwnStateStore) -> None:
    text = body.decode()
    assert str(store.port) not in text
    assert "127.0.0.1" not in text
    assert "redis://" not in text


def test_every_page_answers_with_the_banner_and_the_api_503_while_the_store_is_down(
    desk_in_own_store, administrator
) -> None:
    client = logged_in(administrator)  # holds every role: every page
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _banner(response) is None, url

    desk_in_own_store.stop()

    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "State store unavailable" in (_banner(response) or ""), url
        _no_internal_endpoint(response.content, desk_in_own_store)
    for url in API + JSON_READS:
        response = client.get(url)
        assert response.status_code == 503, url
        assert int(response["Retry-After"]) > 0, url
        assert "state store is unavailable" in response.json()["error"], url
        _no_internal_endpoint(response.content, desk_in_own_store)


def test_the_trader_pages_keep_their_last_numbers_while_the_store_is_down(
    desk_in_own_store, trader
) -> None:
    client = logged_in(trader)
    ladder = parse(client.get(reverse("ladder:ladder")).content)
    pnl = ladder.one("tr", data_price="110.125").one("td", data_col="pnl").text
    spot_rows = len(parse(client.get(reverse("ladder:spot_risk")).content).find_all("tr", "line"))
    assert spot_rows > 0

    desk_in_own_store.stop()

    ladder = parse(client.get(reverse("ladder:ladder")).content)
    assert ladder.one("tr", data_price="110.125").one("td", data_col="pnl").text == pnl
    assert "state store is unavailable" in ladder.one(id="read-at").text
    spot = parse(client.get(reverse("ladder:spot_risk")).content)
    assert len(spot.find_all("tr", "line")) == spot_rows
    assert "state store is unavailable" in spot.one(id="read-at").text


def test_ops_says_what_it_cannot_read_and_shows_the_rest(desk_in_own_store, oncall) -> None:
    client = logged_in(oncall)
    desk_in_own_store.stop()

    health = parse(client.get(reverse("ops:health")).content)
    assert "state store is unavailable" in health.one(id="feeds-unavailable").text
    assert health.one(id="alarm-rows") is not None  # from the database: still there
    detail = parse(client.get(reverse("ops:feed", args=["spot-risk"])).content)
    assert "state store is unavailable" in detail.one(id="files-unavailable").text


def _recovered(client: Client) -> bool:
    response = client.get(reverse("ladder:ladder"))
    page = parse(response.content)
    return (
        response.status_code == 200
        and page.find(id="store-banner") is None
        and page.find(id="read-at") is None
        and page.find("table", id="ladder-table") is not None
        and client.get(reverse("api:ladder")).status_code == 200
        and page.find(id="feeds-unavailable") is None
    )


def test_pages_and_api_recover_by_themselves_when_the_store_is_back(
    desk_in_own_store, administrator
) -> None:
    client = logged_in(administrator)
    assert _recovered(client)
    desk_in_own_store.stop()
    # An answer computed before the outage is trusted for ladder.api_cache.RECHECK_S
    # (0.5 s) at most; the next recheck meets the outage.
    deadline = time.monotonic() + 5
    while client.get(reverse("api:ladder")).status_code != 503:
        assert time.monotonic() < deadline, "the API kept answering 200 with the store down"
        time.sleep(0.1)
    assert _banner(client.get(reverse("ops:health"))) is not None

    desk_in_own_store.start()  # same port, same data; nobody restarts the web

    started = time.monotonic()
    while not _recovered(client):
        waited = time.monotonic() - started
        assert waited < RECOVERY_DEADLINE_S, "pages still degraded after the store came back"
        time.sleep(0.2)
    print(f"pages and API recovered {time.monotonic() - started:.2f} s after the store was back")
    health = parse(client.get(reverse("ops:health")).content)
    assert health.find(id="feeds-unavailable") is None
    assert health.find("tr", data_feed="spot-risk") is not None
    assert client.get(reverse("api:spot_risk")).status_code == 200
