"""/api/slide/: book P&L at price moves x vol shifts, the worked example through the API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.conftest import logged_in

URL = reverse("api:slide")
LADDER = reverse("api:ladder")


def row_at(body: dict, move: int) -> dict:
    (row,) = (r for r in body["rows"] if r["move"] == move)
    return row


def test_the_default_grid(book_desk, trader) -> None:
    body = logged_in(trader).get(URL).json()
    assert body["vol_shifts"] == [-0.2, -0.1, 0.0, 0.1, 0.2]
    assert [r["move"] for r in body["rows"]] == list(range(64, -65, -8))
    assert body["centre"] == "111.171875"  # the tick nearest the spot 111.1640625
    eight_up = row_at(body, 8)
    assert (eight_up["price"], eight_up["move_32nds"]) == ("111.296875", "+0'040")
    assert all(len(r["book_pnl"]) == 5 and len(r["book_delta"]) == 5 for r in body["rows"])


def test_the_worked_example_through_the_slide(book_desk, trader) -> None:
    client = logged_in(trader)
    # 111'130 = 111.40625 is 15 ticks above the centre 111.171875
    body = client.get(URL, {"moves": "15", "step": "15", "vol_shifts": "0,0.1"}).json()
    row = row_at(body, 15)
    assert row["price"] == "111.40625"
    futures = Decimal(row["futures_pnl"])
    ladder_row = next(r for r in client.get(LADDER).json()["rows"] if r["price"] == "111.40625")
    assert futures == Decimal(ladder_row["pnl"])
    assert float(Decimal(row["book_pnl"][0]) - futures) == pytest.approx(21_466.82, abs=1.0)
    assert float(Decimal(row["book_pnl"][1]) - futures) == pytest.approx(21_062.72, abs=1.0)
    assert row["book_delta"][0] == ladder_row["book_delta"]


def test_the_breakdown_by_expiry_adds_up_to_the_options_pnl(book_desk, trader) -> None:
    body = logged_in(trader).get(URL, {"by_expiry": "1", "days": "1.5"}).json()
    for row in body["rows"]:
        parts = row["options_pnl_by_expiry"]
        assert set(parts) == {"AUG25", "23JUL25", "24JUL25"}
        for i, book in enumerate(row["book_pnl"]):
            options = sum(Decimal(v[i]) for v in parts.values())
            assert Decimal(book) - Decimal(row["futures_pnl"]) == pytest.approx(
                options, abs=Decimal("0.03")
            )


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"moves": "lots"}, "moves"),
        ({"moves": "401"}, "moves"),
        ({"moves": "16", "step": "17"}, "step"),
        ({"step": "0"}, "step"),
        ({"vol_shifts": "-0.1,up"}, "vol_shifts"),
        ({"vol_shifts": "-1"}, "vol_shifts"),
        ({"days": "-1"}, "days"),
        ({"days": "nan"}, "days"),
        ({"by_expiry": "yes"}, "by_expiry"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_parameter(book_desk, trader, query, parameter) -> None:
    response = logged_in(trader).get(URL, query)
    assert response.status_code == 400
    body = response.json()
    assert body["parameter"] == parameter
    assert parameter in body["error"]


def test_no_data_is_a_404_saying_so(feed_queue, trader) -> None:
    response = logged_in(trader).get(URL)
    assert response.status_code == 404
    assert "error" in response.json()
