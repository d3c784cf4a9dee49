"""Before any file arrives, both pages say so plainly instead of failing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings
from django.urls import reverse

from lib.redis_clients import redis_clients_reset
from tests.conftest import logged_in
from tests.ladder.pages.html import parse


def test_the_ladder_says_no_data_yet(stack, trader) -> None:
    response = logged_in(trader).get(reverse("ladder:ladder"))
    assert response.status_code == 200
    soup = parse(response.content)
    assert "No data yet" in soup.one(id="no-data").text
    assert soup.find("table", id="ladder-table") is None


def test_spot_risk_says_no_data_yet(stack, trader) -> None:
    response = logged_in(trader).get(reverse("ladder:spot_risk"))
    assert response.status_code == 200
    soup = parse(response.content)
    assert "No data yet" in soup.one(id="no-data").text
    assert soup.find("table", id="spot-risk-table") is None


def test_positions_without_orders_or_spot_risk_still_make_a_ladder(feed_queue, trader) -> None:
    from tests.feeds.ingest.conftest import POSITIONS_KEY, sample

    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    assert all(feed_queue.drain())
    soup = parse(logged_in(trader).get(reverse("ladder:ladder")).content)
    row = soup.one("tr", data_price="110.125")
    assert row.one("td", data_col="position").text == "+219"  # no orders: nothing fills


@pytest.fixture
def store_down(stack) -> Iterator[None]:
    """The state store unreachable (a port nothing listens on)."""
    with override_settings(FRGM_STATE_REDIS_URL="redis://127.0.0.1:1/0"):
        redis_clients_reset()
        yield
    redis_clients_reset()


@pytest.mark.parametrize("url_name", ["ladder:ladder", "ladder:spot_risk"])
def test_an_unreachable_state_store_is_said_not_hidden(store_down, trader, url_name) -> None:
    response = logged_in(trader).get(reverse(url_name))
    assert response.status_code == 200  # the page, with nothing read yet to show
    soup = parse(response.content)
    assert "state store is unavailable" in soup.one(id="no-data").text
    assert "State store unavailable" in soup.one(id="store-banner").text


@pytest.mark.parametrize("url_name", ["api:ladder", "api:spot_risk"])
def test_the_api_answers_503_when_the_state_store_is_down(store_down, trader, url_name) -> None:
    response = logged_in(trader).get(reverse(url_name))
    assert response.status_code == 503
    assert response.json() == {"error": "the state store is unavailable; try again shortly"}
    assert int(response["Retry-After"]) > 0
