"""Files come at the feed server's cadence, under FEEDS.md's keys."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from datetime import datetime

from feeds.feed_keys import file_stamp, trading_date_for

# FEEDS.md "Where files land", verbatim as patterns.
KEY_PATTERNS = {
    "spot-risk": re.compile(
        r"^actant/spot-risk/(\d{4}-\d{2}-\d{2})/bav_analysis_(\d{8}_\d{6})\.csv$"
    ),
    "spot-risk-chunk": re.compile(
        r"^actant/spot-risk/(\d{4}-\d{2}-\d{2})/bav_analysis_(\d{8}_\d{6})_chunk_\d{2}_of_\d{2}\.csv$"
    ),
    "vtexp": re.compile(r"^actant/vtexp/(\d{4}-\d{2}-\d{2})/vtexp_(\d{8}_\d{6})\.csv$"),
    "positions": re.compile(r"^tt/positions/(\d{4}-\d{2}-\d{2})/positions_(\d{8}_\d{6})\.json$"),
    "orders": re.compile(r"^tt/orders/(\d{4}-\d{2}-\d{2})/working_orders_(\d{8}_\d{6})\.json$"),
    "instrument": re.compile(r"^tt/instruments/instrument_(\d+)\.json$"),
}


def feed_of(key: str) -> str:
    found = [name for name, pattern in KEY_PATTERNS.items() if pattern.match(key)]
    assert len(found) == 1, key
    return found[0]


def by_feed(files) -> dict[str, list[datetime]]:
    found: dict[str, list[datetime]] = defaultdict(list)
    for moment, f in files:
        feed = feed_of(f.key)
        if feed != "spot-risk-chunk" or f.key.endswith("_chunk_01_of_16.csv"):
            found[feed.replace("-chunk", "")].append(moment)
    return found


def test_every_key_matches_a_feeds_md_pattern_named_by_its_moment(run) -> None:
    _, files = run(60, layout="both", chunk_drop_probability=0)
    for moment, f in files:
        match = KEY_PATTERNS[feed_of(f.key)].match(f.key)
        assert match is not None
        if feed_of(f.key) != "instrument":
            assert match[1] == trading_date_for(moment).isoformat()
            assert match[2] == file_stamp(moment)


def test_the_first_tick_writes_every_feed_instrument_first(run) -> None:
    _, files = run(0, layout="single")
    assert [feed_of(f.key) for _, f in files] == [
        "instrument", "vtexp", "spot-risk", "positions", "orders",
    ]  # fmt: skip


def test_spot_risk_and_tt_files_come_every_one_to_two_seconds(run) -> None:
    _, files = run(120, step=0.1, layout="single", spot_risk_rows=20)
    for feed in ("spot-risk", "positions", "orders"):
        moments = by_feed(files)[feed]
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(moments)]
        assert 60 <= len(moments) <= 121, feed
        assert all(1.0 <= gap <= 2.1 for gap in gaps), (feed, gaps)


def test_the_instrument_file_is_written_once(run) -> None:
    _, files = run(120, step=0.1, layout="single", spot_risk_rows=20)
    assert len(by_feed(files)["instrument"]) == 1


def test_a_feed_never_writes_two_files_in_one_clock_second(run) -> None:
    # --rate 5 asks for a file every 0.2 s; names carry whole seconds, so one a second.
    _, files = run(20, step=0.1, interval_s=(0.16, 0.24), spot_risk_rows=20, layout="single")
    keys = [f.key for _, f in files]
    assert len(keys) == len(set(keys))
    assert len(by_feed(files)["positions"]) >= 19


def test_content_types_say_csv_or_json(run) -> None:
    _, files = run(5)
    for _, f in files:
        expected = "application/json" if f.key.endswith(".json") else "text/csv"
        assert f.content_type == expected
