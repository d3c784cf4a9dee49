"""/api/history/: a day's history items from DynamoDB, a page at a time."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import logged_in

URL = reverse("api:history")
DAY = "2025-07-21"


def test_metrics_items_by_default(desk, trader) -> None:
    body = logged_in(trader).get(URL, {"feed": "tt-positions", "date": DAY}).json()
    assert body["kind"] == "metrics"
    (item,) = body["items"]
    assert item["object_key"] == "tt/positions/2025-07-21/positions_20250721_203008.json"
    assert item["net_position"] == "219"
    assert "rows" not in item
    assert body["next"] is None


def test_snapshots_leave_the_rows_out_unless_asked(desk, trader) -> None:
    client = logged_in(trader)
    query = {"feed": "tt-orders", "date": DAY, "kind": "snapshot"}
    (item,) = client.get(URL, query).json()["items"]
    assert "rows" not in item
    assert item["row_count"] == "6"
    (full,) = client.get(URL, {**query, "rows": "1"}).json()["items"]
    assert len(full["rows"]) == 6


def test_paging_with_the_next_cursor_visits_every_item_once(desk, trader) -> None:
    desk.put(
        "tt/positions/2025-07-21/positions_20250721_203010.json",
        desk_sample("tt/positions_response.json"),
    )
    assert all(desk.drain())
    client = logged_in(trader)
    seen, cursor = [], None
    for _ in range(5):
        query = {"feed": "tt-positions", "date": DAY, "limit": "1"}
        body = client.get(URL, {**query, "after": cursor} if cursor else query).json()
        seen += [item["object_key"] for item in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == [
        "tt/positions/2025-07-21/positions_20250721_203008.json",
        "tt/positions/2025-07-21/positions_20250721_203010.json",
    ]


def desk_sample(path: str) -> bytes:
    from tests.feeds.ingest.conftest import sample

    return sample(path)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"date": DAY}, "feed"),
        ({"feed": "prices", "date": DAY}, "feed"),
        ({"feed": "tt-orders"}, "date"),
        ({"feed": "tt-orders", "date": "21/07/2025"}, "date"),
        ({"feed": "tt-orders", "date": DAY, "kind": "rows"}, "kind"),
        ({"feed": "tt-orders", "date": DAY, "rows": "yes"}, "rows"),
        ({"feed": "tt-orders", "date": DAY, "limit": "0"}, "limit"),
        ({"feed": "tt-orders", "date": DAY, "limit": "5000"}, "limit"),
        ({"feed": "tt-orders", "date": DAY, "after": "%%%"}, "after"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(stack, trader, query, parameter) -> None:
    response = logged_in(trader).get(URL, query)
    assert response.status_code == 400, response.content
    assert response.json()["parameter"] == parameter


def test_a_day_without_files_is_an_empty_page(desk, trader) -> None:
    body = logged_in(trader).get(URL, {"feed": "tt-orders", "date": "2025-07-22"}).json()
    assert (body["items"], body["next"]) == ([], None)
