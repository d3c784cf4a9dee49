"""The live hub's ladder and slide of one update share one read of the state
(``ladder_inputs_shared``): the same figures as two reads, and never a read the
hub has heard something newer than."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ladder import scenario as ladder_scenario
from ladder.book import book_from_rows
from ladder.selectors import scenario
from ladder.selectors.scenario import ladder_inputs_shared, ladder_snapshot, options_book
from ladder.selectors.slide import slide_moves, slide_snapshot
from tests.feeds.ingest.conftest import SPOT_KEY

from .conftest import POSITIONS, spot_risk_with_positions


@pytest.fixture(autouse=True)
def _nothing_shared(monkeypatch) -> None:
    monkeypatch.setattr(scenario, "_shared", None)


def test_a_slide_after_a_ladder_of_the_same_mark_shows_what_its_own_read_would(
    book_desk,
) -> None:
    moves = slide_moves(moves=16, step=4)
    ladder_snapshot(ticks=40, state_mark=("hub", 1))
    shared = slide_snapshot(moves=moves, state_mark=("hub", 1))
    fresh = slide_snapshot(moves=moves)

    assert ladder_inputs_shared(("hub", 1)) is scenario._shared  # one read, kept
    assert shared.rows == fresh.rows
    assert shared.ladder.header == fresh.ladder.header
    assert shared.ladder.book_rows == ()  # the slide does not price the ladder's columns
    assert len(ladder_snapshot(ticks=40).book_rows) == 81


def test_a_new_mark_reads_the_state_again_and_sees_a_new_file(book_desk, monkeypatch) -> None:
    monkeypatch.setattr(scenario, "INPUTS_SHARED_S", 600.0)  # the drain below takes a while
    before = ladder_snapshot(ticks=10, state_mark=("hub", 1))
    assert sorted(before.book.keys) == sorted(POSITIONS)
    book_desk.put(SPOT_KEY.replace("203007", "203107"), spot_risk_with_positions({}))
    assert all(book_desk.drain())

    # under the old mark the hub had not heard of the file: the old read may serve
    assert ladder_snapshot(ticks=10, state_mark=("hub", 1)).book.keys == before.book.keys
    # a new mark (the hub heard the file) or none: the new file, no option positions
    assert ladder_snapshot(ticks=10, state_mark=("hub", 2)).book.size == 0
    assert ladder_snapshot(ticks=10).book.size == 0
    # the old mark's read was replaced by the new one's: read again
    assert ladder_snapshot(ticks=10, state_mark=("hub", 1)).book.size == 0


def test_a_shared_read_expires(book_desk, monkeypatch) -> None:
    first = ladder_inputs_shared(("hub", 7))
    assert ladder_inputs_shared(("hub", 7)) is first
    monkeypatch.setattr(scenario, "INPUTS_SHARED_S", 0.0)
    assert ladder_inputs_shared(("hub", 7)) is not first
    assert ladder_inputs_shared(None) is not ladder_inputs_shared(None)


def test_the_book_is_priced_once_per_read_and_spot(book_desk) -> None:
    shared = ladder_inputs_shared(("hub", 3))
    spot = ladder_snapshot(ticks=5, state_mark=("hub", 3)).spot
    assert shared.book(spot) is shared.book(spot)
    assert sorted(shared.book(spot).keys) == sorted(POSITIONS)


def _option(key: str, position: int, vol: float) -> dict[str, object]:
    return {
        "key": key,
        "itype": "C",
        "expiry": "AUG25",
        "strike": "111",
        "position": position,
        "greeks": {"vol": vol},
    }


def test_an_option_row_that_changed_is_priced_from_its_new_figures() -> None:
    rows = {"a": _option("A", 10, 5.0), "b": _option("B", -4, 6.0), "c": _option("C", 3, 0.0)}
    days = {"AUG25": 3.0}
    first = options_book(spot=Decimal("111"), spot_rows=rows, vtexp_days=days)
    # a new file: row a moved (a new dict, as a shared read gives it), b and c did not
    rows = {**rows, "a": _option("A", 7, 5.5)}

    second = options_book(spot=Decimal("111"), spot_rows=rows, vtexp_days=days)

    fresh = book_from_rows(spot=111.0, spot_rows=rows, vtexp_days=days)
    assert second.keys == fresh.keys == ("A", "B")
    assert second.position.tolist() == fresh.position.tolist() == [7.0, -4.0]
    assert second.vol.tolist() == [5.5, 6.0]
    assert first.position.tolist() == [10.0, -4.0]
    assert second.unpriced == ("C",)  # no vol: counted, not priced
    # vtexp moved with nothing else: the same rows' terms, the new time
    later = options_book(spot=Decimal("111"), spot_rows=rows, vtexp_days={"AUG25": 1.5})
    assert later.years.tolist() == [1.5 / 252, 1.5 / 252]


def test_the_ladder_and_slide_of_one_update_compute_each_level_once(book_desk, monkeypatch) -> None:
    computed: list[Decimal] = []
    row_of = ladder_scenario._row

    def counted(**kwargs):
        computed.append(kwargs["level"])
        return row_of(**kwargs)

    monkeypatch.setattr(ladder_scenario, "_row", counted)
    ladder = ladder_snapshot(ticks=40, state_mark=("hub", 5))
    slide = slide_snapshot(moves=slide_moves(moves=64, step=1), state_mark=("hub", 5))

    # the slide's 129 levels hold the ladder's 81: 48 more, not 129
    assert len(computed) == len(set(computed)) == 81 + 48
    assert {row.price for row in ladder.rows} < {row.price for row in slide.ladder.rows}
    # ... and every row is what a read of its own computes
    fresh = slide_snapshot(moves=slide_moves(moves=64, step=1))
    assert slide.rows == fresh.rows
    assert ladder.rows == ladder_snapshot(ticks=40).rows
    # a new mark (a new file heard): every level computed again
    computed.clear()
    ladder_snapshot(ticks=40, state_mark=("hub", 6))
    assert len(computed) == 81
