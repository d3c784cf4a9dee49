"""vtexp: the sample's format and symbols, days falling with time, a few files an hour."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import date, datetime

import pytest

from feeds.simulator.calendar import expiries_listed, monthly_option_expiry

Rows = Callable[[bytes], list[list[str]]]
ROW = re.compile(r"^XCME\.ZN\.N\.G\.(?:\d{2}[A-Z]{3}\d{2}|[A-Z]{3}\d{2}),\d+\.\d{6}$")
SAMPLE = "vtexp_20250721_203256.csv"


def vtexp_files(files) -> list[tuple[datetime, bytes]]:
    return [(moment, f.body) for moment, f in files if f.key.startswith("actant/vtexp/")]


def test_the_file_is_written_like_the_sample(run, sample) -> None:
    (_, body), *_ = vtexp_files(run(0)[1])
    lines = body.decode("ascii").splitlines()
    expected = sample(SAMPLE).decode("ascii").splitlines()
    assert lines[0] == expected[0] == "symbol,vtexp"
    assert all(ROW.match(line) for line in expected[1:])
    assert all(ROW.match(line) for line in lines[1:])
    assert body.endswith(b"\n")
    assert b"\r" not in body


def test_at_the_samples_moment_the_symbols_and_days_match_the_sample(
    simulate, sample, rows_of: Rows
) -> None:
    start = datetime.fromisoformat("2025-07-21T20:32:56-05:00")
    (_, body), *_ = vtexp_files(simulate(0, start=start)[1])
    ours = {symbol: float(days) for symbol, days in rows_of(body)[1:]}
    theirs = {symbol: float(days) for symbol, days in rows_of(sample(SAMPLE))[1:]}
    assert list(ours) == list(theirs)  # same tokens, same order (AUG25 after 24JUL25)
    for symbol, days in theirs.items():
        assert abs(ours[symbol] - days) < 0.01, symbol


def test_days_to_expiry_fall_as_time_passes(run, rows_of: Rows) -> None:
    files = vtexp_files(run(3600, step=5.0, spot_risk_rows=20)[1])
    assert len(files) >= 3
    (t0, first), (t1, second) = files[0], files[1]
    before = dict(rows_of(first)[1:])
    after = dict(rows_of(second)[1:])
    elapsed_days = (t1 - t0).total_seconds() / 86400
    for symbol in set(before) & set(after):
        assert float(before[symbol]) - float(after[symbol]) == pytest.approx(elapsed_days, abs=2e-6)


def test_vtexp_is_written_at_start_and_then_every_ten_to_twenty_minutes(run) -> None:
    moments = [m for m, _ in vtexp_files(run(3600, step=5.0, spot_risk_rows=20)[1])]
    assert moments[0] == run(3600, step=5.0, spot_risk_rows=20)[1][0][0]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(moments)]
    assert all(600 <= gap <= 1205 for gap in gaps), gaps


def test_the_monthly_option_expires_on_the_last_friday_two_business_days_before_month_end() -> None:
    assert monthly_option_expiry(2025, 8).isoformat() == "2025-07-25"  # OZN AUG25 (sample)
    assert monthly_option_expiry(2025, 9).isoformat() == "2025-08-22"
    assert monthly_option_expiry(2025, 12).isoformat() == "2025-11-21"


def test_a_friday_with_a_monthly_expiry_lists_no_friday_weekly() -> None:
    listed = expiries_listed(trading_date=date(2025, 7, 22), count=10)
    tokens = [(e.product, e.token) for e in listed][:5]
    assert tokens == [
        ("GY4", "22JUL25"), ("WY4", "23JUL25"), ("HY4", "24JUL25"), ("OZN", "AUG25"),
        ("VY4", "28JUL25"),
    ]  # fmt: skip
