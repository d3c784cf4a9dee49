"""Without ``instrument``, the API and the page show the future with the largest absolute
position: never an option, however large its position."""

from __future__ import annotations

import json

from django.urls import reverse

from tests.conftest import logged_in
from tests.feeds.ingest.conftest import FeedQueue, sample
from tests.ladder.pages.conftest import INSTRUMENT as SEP25
from tests.ladder.pages.html import parse

URL = reverse("api:ladder")
PAGE = reverse("ladder:ladder")
DEC25 = "1234567890123456789"
OPTION = "5550001112223334445"  # an OZN Aug25 110.25 call
LATER_POSITIONS = "tt/positions/2025-07-21/positions_20250721_203009.json"


def _instrument_file(instrument_id: str, **fields: object) -> tuple[str, bytes]:
    """TT's instrument file (the Jun25 sample's layout) for another instrument."""
    body = json.loads(sample("tt/instrument_details_zn_jun25.json"))
    body["instrument"][0].update({"id": instrument_id, **fields})
    return f"tt/instruments/instrument_{instrument_id}.json", json.dumps(body).encode()


def _future_file(instrument_id: str, term: str, expiration: int) -> tuple[str, bytes]:
    return _instrument_file(instrument_id, alias=f"ZN {term}", term=term, expirationDate=expiration)


def _option_file() -> tuple[str, bytes]:
    # An options product: what tells it from a future is that Actant quotes no future of it.
    return _instrument_file(
        OPTION,
        alias="OZN Aug25 C110.25",
        name="OZNQ5 C11025",
        productSymbol="OZN",
        productTypeId=51,
        term="Aug25",
        expirationDate=20250725235959,
    )


def _positions(*held: tuple[str, int]) -> bytes:
    """The sample positions file holding ``held`` (instrument, net) instead of its one row."""
    body = json.loads(sample("tt/positions_response.json"))
    (template,) = body["positions"]
    body["positions"] = [
        {**template, "instrumentId": instrument, "netPosition": float(net)}
        for instrument, net in held
    ]
    return json.dumps(body).encode()


def _ingest(desk: FeedQueue, *files: tuple[str, bytes]) -> None:
    for key, body in files:
        desk.put(key, body)
    assert all(desk.drain())


def _page_instrument(client) -> str:
    soup = parse(client.get(PAGE).content)
    return soup.one("table", id="ladder-table")["data-instrument"]


def test_the_future_is_the_default_though_an_option_holds_more(desk, trader) -> None:
    _ingest(
        desk,
        _future_file(SEP25, "Sep25", 20250919235959),
        _option_file(),
        (LATER_POSITIONS, _positions((OPTION, -500), (SEP25, 219))),
    )
    client = logged_in(trader)
    body = client.get(URL).json()
    assert body["instrument"] == SEP25
    assert body["instrument_label"] == "ZN Sep25"
    assert body["header"]["position"] == 219
    assert body["spot_source"] == "actant"  # its TT file maps it to XCME.ZN.SEP25
    assert _page_instrument(client) == SEP25
    # the option can still be asked for by id, and the picker lists it after the future
    assert client.get(URL, {"instrument": OPTION}).json()["header"]["position"] == -500
    soup = parse(client.get(PAGE).content)
    options = soup.one("select", id="instrument").find_all("option")
    assert [o["value"] for o in options] == [SEP25, OPTION]
    assert "not a future" in options[1].text


def test_an_option_without_its_tt_file_is_not_known_to_be_a_future(desk, trader) -> None:
    _ingest(
        desk,
        _future_file(SEP25, "Sep25", 20250919235959),
        (LATER_POSITIONS, _positions((OPTION, 900), (SEP25, -3))),
    )
    assert logged_in(trader).get(URL).json()["instrument"] == SEP25


def test_a_position_of_unknown_kind_stands_in_when_no_future_is_known(desk, trader) -> None:
    # The sample's own position has no TT file (TT sends it once, when the
    # instrument first appears); the option's file says what it is.
    _ingest(desk, _option_file(), (LATER_POSITIONS, _positions((OPTION, -500), (SEP25, 219))))
    body = logged_in(trader).get(URL).json()
    assert body["instrument"] == SEP25
    assert body["spot_source"] == "tt"


def test_equal_positions_go_to_the_nearer_expiry(desk, trader) -> None:
    _ingest(
        desk,
        _future_file(DEC25, "Dec25", 20251219235959),
        _future_file(SEP25, "Sep25", 20250919235959),
        (LATER_POSITIONS, _positions((DEC25, 219), (SEP25, -219))),
    )
    client = logged_in(trader)
    assert client.get(URL).json()["instrument"] == SEP25
    assert _page_instrument(client) == SEP25


def test_no_future_position_is_a_404_listing_the_instruments(desk, trader) -> None:
    _ingest(desk, _option_file(), (LATER_POSITIONS, _positions((OPTION, -500))))
    client = logged_in(trader)
    response = client.get(URL)
    assert response.status_code == 404
    assert response.json()["error"].startswith("No future position")
    assert response.json()["instruments"] == [
        {"instrument": OPTION, "label": "OZN Aug25 C110.25", "position": -500, "kind": "not_future"}
    ]
    soup = parse(client.get(PAGE).content)
    assert soup.one(id="no-data").text.startswith("No future position")
    assert soup.find("table", id="ladder-table") is None
    picker = soup.one("select", id="instrument").find_all("option")
    assert [o["value"] for o in picker] == ["", OPTION]  # "choose…", then the option
