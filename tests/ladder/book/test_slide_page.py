"""/ladder/slide/: the grid server-rendered, for traders only, the same numbers as the API."""

from __future__ import annotations

from django.urls import reverse

from tests.conftest import logged_in
from tests.ladder.pages.html import parse

URL = reverse("ladder:slide")


def test_the_page_shows_the_apis_grid(book_desk, trader) -> None:
    client = logged_in(trader)
    body = client.get(reverse("api:slide")).json()
    soup = parse(client.get(URL).content)
    rows = soup.one("table", id="slide-table").one("tbody").find_all("tr")
    assert [int(tr["data-move"]) for tr in rows] == [r["move"] for r in body["rows"]]
    for tr, row in zip(rows, body["rows"], strict=True):
        cells = tr.find_all("td", data_col="pnl")
        assert [td["data-value"] for td in cells] == row["book_pnl"]
        assert tr.one("td", data_col="move_32nds").text == row["move_32nds"]
        assert tr.one("td", data_col="delta")["data-value"] == row["book_delta"][2]
    assert "0 options not priced" in soup.one("span", id="not-priced").text
    assert soup.find("script", id="slide-chart") is not None
    assert soup.find("a", href=URL) is not None  # in the nav


def test_a_bad_query_is_said_and_the_defaults_shown(book_desk, trader) -> None:
    soup = parse(logged_in(trader).get(URL, {"step": "0"}).content)
    assert "step" in soup.one("p", cls="note").text
    assert len(soup.one("table", id="slide-table").one("tbody").find_all("tr")) == 17


def test_only_traders_see_the_page(book_desk, oncall) -> None:
    assert logged_in(oncall).get(URL).status_code == 403
