"""The file-to-pixel harness measures right: each file is matched to the first frame
that showed it, a frame older than the one before and a skipped delta are counted,
and the poller is credited only with answers that showed the file."""

from __future__ import annotations

import pytest

from bench.pixel.measure import (
    Landed,
    PollLog,
    SocketLog,
    batch_spreads,
    ingest_result,
    page_result,
    unchanged_reuploads,
)

A = Landed("tt/positions/d/positions_1.json", "tt-positions", 100.0, 100.05, "2025-07-21T20:30:01")
B = Landed("tt/positions/d/positions_2.json", "tt-positions", 101.0, 101.04, "2025-07-21T20:30:02")
S = Landed(
    "actant/spot-risk/d/bav_analysis_1.csv", "spot-risk", 100.5, 100.6, "2025-07-21T20:30:01"
)


def _delta(seq: int, feeds: dict[str, float]) -> dict:
    return {"type": "delta", "seq": seq, "feeds": feeds}


def _health(feed: str, ingested_at: float) -> dict:
    return {"type": "health", "feeds": {feed: {"ingested_at": ingested_at}}}


def test_each_file_is_matched_to_the_first_frame_that_shows_it() -> None:
    log = SocketLog("ladder")
    log.frame(
        {"type": "snapshot", "seq": 4, "feeds": {"tt-positions": {"ingested_at": 90.0}}}, 99.0
    )
    log.frame(_delta(5, {"tt-positions": 100.05}), 100.10)  # A
    log.frame(_health("tt-positions", 101.04), 101.08)  # B: a file that changed no cell
    log.frame(_delta(6, {"spot-risk": 100.6}), 100.70)  # S
    result = page_result("ladder", [log], [A, B, S])
    assert result.missed == 0
    assert result.count == 3
    assert sorted(b / 10 for b in result.buckets.elements()) == pytest.approx([80.0, 100.0, 200.0])
    assert (log.gaps, log.backwards, log.older) == (0, 0, 0)


def test_one_frame_showing_two_files_counts_for_both() -> None:
    log = SocketLog("ladder")
    log.frame({"type": "snapshot", "seq": 0, "feeds": {}}, 99.0)
    log.frame(_delta(1, {"tt-positions": 101.04}), 101.2)  # coalesced: A and B
    result = page_result("ladder", [log], [A, B])
    assert sorted(b / 10 for b in result.buckets.elements()) == pytest.approx([200.0, 1200.0])


def test_a_file_no_frame_showed_is_missed_and_a_page_counts_only_its_feeds() -> None:
    log = SocketLog("spot-risk")
    log.frame({"type": "snapshot", "seq": 0, "feeds": {}}, 99.0)
    log.frame(_delta(1, {"spot-risk": 100.0}), 100.3)  # older than S: does not show it
    result = page_result("spot-risk", [log], [A, B, S])  # positions are not on this page
    assert (result.count, result.missed) == (0, 1)


def test_skipped_repeated_and_older_frames_are_counted() -> None:
    log = SocketLog("ladder")
    log.frame({"type": "snapshot", "seq": 1, "feeds": {}}, 99.0)
    log.frame(_delta(2, {"tt-positions": 101.04}), 101.1)
    log.frame(_delta(4, {"tt-positions": 100.05}), 101.2)  # skipped 3, and older than 2
    log.frame(_delta(4, {}), 101.3)  # repeated
    assert (log.gaps, log.backwards, log.older) == (1, 1, 1)
    # the older stamp is not taken as the page's newest: A stays shown at 101.1
    assert log.shown_at(A) == 101.1


def test_the_ops_page_is_matched_by_its_file_frames() -> None:
    log = SocketLog("ops")
    log.frame({"type": "rows", "feeds": "<tr>", "alarms": ""}, 99.0)
    log.frame({"type": "file", "feed": "tt-positions", "key": A.key, "ingested_at": 100.05}, 100.07)
    result = page_result("ops", [log], [A, B])
    assert (result.count, result.missed) == (1, 1)
    assert result.percentile(100) == pytest.approx(70.0)


def test_percentiles_are_nearest_rank_over_every_file_and_socket() -> None:
    logs = []
    for recv in (100.10, 100.20, 100.30, 101.0):
        log = SocketLog("ladder")
        log.frame(_delta(1, {"tt-positions": 100.05}), recv)
        logs.append(log)
    result = page_result("ladder", logs, [A])
    assert result.percentile(50) == pytest.approx(200.0)
    assert result.percentile(99) == pytest.approx(1000.0)
    assert ingest_result([A, B]).percentile(100) == pytest.approx(50.0)


def test_the_poller_sees_a_file_at_the_first_answer_as_new_as_it() -> None:
    poll = PollLog()
    poll.answer(100.5, {"feeds": {"tt-positions": {"last_file_time": "2025-07-21T20:30:00"}}})
    poll.answer(101.5, {"feeds": {"tt-positions": {"last_file_time": "2025-07-21T20:30:01"}}})
    poll.answer(102.5, {"feeds": {"tt-positions": {"last_file_time": "2025-07-21T20:30:02"}}})
    from bench.pixel.measure import poll_result

    result = poll_result(poll, [A, B], frozenset({"tt-positions"}))
    assert sorted(b / 10 for b in result.buckets.elements()) == pytest.approx([1500.0, 1500.0])


def test_each_latency_is_split_at_the_frames_serialisation() -> None:
    """hub: the worker's finish to the frame's server_time; wire: from there to the read."""
    log = SocketLog("ladder")
    log.frame({"type": "snapshot", "seq": 0, "feeds": {}, "server_time": 99.0}, 99.0)
    frame = _delta(1, {"tt-positions": 100.05})
    log.frame({**frame, "server_time": 100.30}, 100.35)  # A: PUT 100.0, ingested 100.05
    result = page_result("ladder", [log], [A])
    assert result.percentile(50) == pytest.approx(350.0)
    assert result.hub_percentile(50) == pytest.approx(250.0)
    assert result.wire_percentile(50) == pytest.approx(50.0)


def test_a_chunk_batch_spread_runs_from_its_first_put_to_its_last_chunk_ingested() -> None:
    def chunk(n: int, put: float, ingested: float) -> Landed:
        key = f"actant/spot-risk/d/bav_analysis_1_chunk_{n:02d}_of_03.csv"
        return Landed(key, "spot-risk", put, ingested, "2025-07-21T20:30:01")

    files = [chunk(1, 10.0, 10.1), chunk(2, 10.2, 10.25), chunk(3, 10.4, 10.6), S, A]
    (spread,) = batch_spreads(files)
    assert spread.chunks == 3
    assert spread.put_spread_ms == pytest.approx(400.0)
    assert spread.ingest_spread_ms == pytest.approx(500.0)
    assert spread.whole_ms == pytest.approx(600.0)


def test_a_re_upload_of_bytes_history_holds_is_a_duplicate_and_any_other_miss_is_lost() -> None:
    instruments = "tt/instruments/d/instruments.json"
    positions = "tt/positions/d/positions_3.json"
    etags = {
        f"{instruments}#v1": '"aaa"',  # the first upload: in history
        f"{instruments}#v2": '"aaa"',  # the same bytes again: the worker applied nothing
        f"{instruments}#v3": '"bbb"',  # new bytes with no history item: lost
        f"{positions}#v1": '"aaa"',  # the same ETag under another key proves nothing
    }
    history = {f"{instruments}#v1": 1}
    missing = [f"{instruments}#v2", f"{instruments}#v3", f"{positions}#v1", "x.csv#v9"]

    assert unchanged_reuploads(missing, history, etags) == [f"{instruments}#v2"]
