"""The web-restart drill's clients reconnect on live.js's own schedule, and read
each frame's type and sequence number right."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

from bench.drills.__main__ import DRILLS
from bench.drills.web_clients import LIVE_JS, frame_head, live_js_backoff, next_delay
from bench.drills.web_restart import _histogram


def test_the_backoff_is_the_one_live_js_uses() -> None:
    text = Path(LIVE_JS).read_text()
    assert live_js_backoff() == (
        int(re.search(r"var BACKOFF_MIN_MS = (\d+);", text)[1]) / 1000,  # type: ignore[index]
        int(re.search(r"var BACKOFF_MAX_MS = (\d+);", text)[1]) / 1000,  # type: ignore[index]
    )
    # live.js's scheduleReconnect: equal jitter, doubling, capped.
    assert "backoff / 2 + Math.random() * (backoff / 2)" in text
    assert "Math.min(backoff * 2, BACKOFF_MAX_MS)" in text


def test_each_delay_is_half_fixed_half_random_and_the_backoff_doubles_to_its_cap() -> None:
    backoff, delays = 0.5, []
    for _ in range(8):
        delay, after = next_delay(backoff, backoff_max=15.0)
        assert backoff / 2 <= delay <= backoff
        delays.append(delay)
        assert after == min(backoff * 2, 15.0)
        backoff = after
    assert backoff == 15.0


def test_a_page_that_lost_its_socket_tries_again_within_4_s_however_long_the_outage(
    monkeypatch,
) -> None:
    """A web restart that takes 7 s under load must still leave the pages time to be
    back within the 15 s RTO: the gap between two tries is the wait after the web
    answers again. Worst case: every jitter at its longest."""
    monkeypatch.setattr("bench.drills.web_clients.random.random", lambda: 1.0)
    backoff_min, backoff_max = live_js_backoff()
    backoff, at, tries = backoff_min, 0.0, []
    while at < 60:
        delay, backoff = next_delay(backoff, backoff_max=backoff_max)
        at += delay
        tries.append(at)
    assert max(b - a for a, b in itertools.pairwise(tries)) <= 4.0
    # ... and the first tries still spread out (no steady hammering at once)
    assert tries[:4] == [0.5, 1.5, 3.5, 7.5]


def test_a_frames_type_and_seq_are_read_from_its_head_or_the_whole_frame() -> None:
    snapshot = json.dumps({"type": "snapshot", "seq": 41, "data": {"rows": {"a": [1] * 500}}})
    assert frame_head(snapshot) == ("snapshot", 41)
    late_seq = json.dumps({"type": "delta", "data": {"x": "y" * 600}, "seq": 42})
    assert frame_head(late_seq) == ("delta", 42)
    assert frame_head('{"type":"ping"}') == ("ping", None)


def test_the_tries_histogram_counts_per_quarter_second() -> None:
    lines = _histogram([0.1, 0.2, 0.3, 1.9, 5.0], slot_s=0.25, until_s=10)
    assert lines == [" 0-1  s:   2   1   0   0", " 1-2  s:   0   0   0   1",
                     " 5-6  s:   1   0   0   0"]  # fmt: skip


def test_the_new_drills_are_registered() -> None:
    assert {"aws_outage", "web_restart", "transient_dlq", "process_death"} <= set(DRILLS)
