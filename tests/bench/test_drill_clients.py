"""The web-restart drill's clients reconnect on live.js's own schedule, and read
each frame's type and sequence number right."""

from __future__ import annotations

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
