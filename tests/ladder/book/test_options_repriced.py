"""The whole book at other prices: the issue's worked example, from the sample files
through the real parser and derive (vols from ADJTHEOR at the future's mid)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from feeds.derive import MarketInputs, file_derive
from feeds.parsers import file_parse
from ladder.book import Book, book_from_rows, book_slide

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "actant"
POSITIONS = {
    "XCME.OZN.AUG25.111.C": 50,
    "XCME.OZN.AUG25.111:5.P": -30,
    "XCME.WY4.23JUL25.111.C": 20,
    "XCME.HY4.24JUL25.111:25.P": -40,
}
SPOT = 111.1640625  # the future's mid: (111'050 + 111'055) / 2


@pytest.fixture(scope="module")
def book() -> Book:
    vtexp = file_parse(
        key="actant/vtexp/2025-07-22/vtexp_20250721_203256.csv",
        data=(SAMPLES / "vtexp_20250721_203256.csv").read_bytes(),
    )
    days = {row.expiry: row.days for row in vtexp.vtexp}
    spot_file = file_parse(
        key="actant/spot-risk/2025-07-22/bav_analysis_20250721_203007.csv",
        data=(SAMPLES / "bav_analysis_20250721_203007.csv").read_bytes(),
    )
    market = MarketInputs(future_mid=Decimal(str(SPOT)), vtexp_days=days)
    derived = file_derive(spot_file, market=market)
    rows = {
        row_id: {**json.loads(text), "position": POSITIONS.get(json.loads(text)["key"], 0)}
        for row_id, text in derived.rows.items()
    }
    return book_from_rows(
        spot=SPOT, spot_rows=rows, vtexp_days={k: float(v) for k, v in days.items()}
    )


def test_the_four_positions_are_priced(book) -> None:
    assert sorted(book.keys) == sorted(POSITIONS)
    assert book.unpriced == ()


@pytest.mark.parametrize(
    ("level", "shift", "dollars"),
    [
        (111.40625, 0.0, 21_466.82),  # 111'130
        (110.671875, 0.0, -42_026.76),  # 110'215
        (111.40625, 0.10, 21_062.72),  # 111'130, vol +10 %
    ],
)
def test_the_worked_example(book, level, shift, dollars) -> None:
    slide = book_slide(book, levels=[level], vol_shifts=[shift])
    assert slide.pnl[0, 0] == pytest.approx(dollars, abs=1.0)


def test_at_spot_with_no_shift_the_options_make_nothing(book) -> None:
    slide = book_slide(book, levels=[SPOT], vol_shifts=[0.0])
    assert slide.pnl[0, 0] == pytest.approx(0.0, abs=1e-6)


def test_past_expiry_an_option_is_worth_its_intrinsic_value(book) -> None:
    far = book_slide(book, levels=[112.0], vol_shifts=[0.0, 0.2], days_forward=400)
    intrinsic = sum(
        p * (max(112.0 - k, 0.0) if c else max(k - 112.0, 0.0))
        for p, k, c in zip(book.position, book.strike, book.is_call, strict=True)
    )
    base = book_slide(book, levels=[SPOT], vol_shifts=[0.0], days_forward=0).pnl  # zero
    assert base[0, 0] == pytest.approx(0.0, abs=1e-6)
    today = sum(p * v for p, v in zip(book.position, _values_today(book), strict=True))
    expected = (intrinsic - today) * 1000
    assert far.pnl[0, 0] == pytest.approx(expected, abs=0.01)
    assert far.pnl[0, 1] == pytest.approx(expected, abs=0.01)  # vol no longer matters


def _values_today(book: Book) -> list[float]:
    from feeds.greeks import bachelier_price

    return [
        bachelier_price(forward=SPOT, strike=k, vol=s, years=t, is_call=bool(c))
        for k, s, t, c in zip(book.strike, book.vol, book.years, book.is_call, strict=True)
    ]


def test_delta_is_the_position_weighted_bachelier_delta(book) -> None:
    from feeds.greeks import greeks_at_vol

    slide = book_slide(book, levels=[111.40625], vol_shifts=[0.0])
    expected = sum(
        p * greeks_at_vol(forward=111.40625, strike=k, years=t, vol=s, is_call=bool(c)).delta
        for p, k, s, t, c in zip(
            book.position, book.strike, book.vol, book.years, book.is_call, strict=True
        )
    )
    assert slide.delta[0, 0] == pytest.approx(expected, abs=1e-9)


def test_an_option_without_a_vol_is_counted_not_priced_as_zero() -> None:
    rows = {
        "a": {"key": "XCME.OZN.AUG25.111.C", "itype": "C", "strike": "111", "expiry": "AUG25",
              "position": 5, "greeks": None},
        "b": {"key": "XCME.OZN.AUG25.112.C", "itype": "C", "strike": "112", "expiry": "AUG25",
              "position": 0, "greeks": None},
        "c": {"key": "XCME.OZN.SEP25.112.C", "itype": "C", "strike": "112", "expiry": "SEP25",
              "position": 3, "greeks": {"vol": 5.0}},
    }  # fmt: skip
    book = book_from_rows(spot=111.0, spot_rows=rows, vtexp_days={"AUG25": 3.0})
    assert book.unpriced == ("XCME.OZN.AUG25.111.C", "XCME.OZN.SEP25.112.C")  # no vtexp for SEP
    assert book.size == 0
    assert np.all(book_slide(book, levels=[110.0, 112.0]).pnl == 0)


def test_the_breakdown_by_expiry_adds_up(book) -> None:
    slide = book_slide(
        book, levels=[110.5, 111.0, 111.5], vol_shifts=[-0.1, 0, 0.1], by_expiry=True
    )
    assert set(slide.pnl_by_expiry) == {"AUG25", "23JUL25", "24JUL25"}
    assert np.allclose(sum(slide.pnl_by_expiry.values()), slide.pnl)
