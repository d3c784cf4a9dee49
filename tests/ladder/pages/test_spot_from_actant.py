"""With an instrument file mapping the TT future to Actant's, spot is the Actant mid."""

from __future__ import annotations

import json

from django.urls import reverse

from tests.conftest import logged_in
from tests.feeds.ingest.conftest import sample
from tests.ladder.pages.conftest import INSTRUMENT
from tests.ladder.pages.html import parse


def sep25_instrument() -> bytes:
    """TT's Jun25 instrument file, rewritten as the Sep25 future of the sample position."""
    doc = json.loads(sample("tt/instrument_details_zn_jun25.json"))
    doc["instrument"][0].update(
        id=INSTRUMENT, alias="ZN Sep25", name="ZNU5", term="Sep25", expirationDate=20250919235959
    )
    return json.dumps(doc).encode()


def test_spot_is_the_mid_of_the_actant_future_when_tt_maps_to_it(desk, trader) -> None:
    desk.put(f"tt/instruments/instrument_{INSTRUMENT}.json", sep25_instrument())
    assert all(desk.drain())
    soup = parse(logged_in(trader).get(reverse("ladder:ladder")).content)
    spot = soup.one("dd", data_field="spot")
    assert spot["data-value"] == "111.1640625"  # (111.15625 + 111.171875) / 2
    assert "Actant mid" in spot.text
    assert "ZN Sep25" in soup.one("h1").text
    assert soup.one("tr", cls="spot")["data-price"] == "111.171875"
