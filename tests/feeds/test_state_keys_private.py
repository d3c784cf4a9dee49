"""The state store's key layout is private to feeds: no other app spells a key.

import-linter keeps ladder, ops and the site from importing ``feeds.state_store``
(``key``) or the raw client; this catches a key written out by hand instead.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE_FEEDS = ("ladder", "ops", "frgm_site", "accounts", "lib")
# Every state-store key starts with "frgm:{" and a hash tag (feeds/state_store.py).
KEY_SPELLED = re.compile(r"""["']frgm:\{""")


def test_no_app_but_feeds_spells_a_state_store_key() -> None:
    spelled = [
        f"{path.relative_to(ROOT)}:{n}"
        for app in OUTSIDE_FEEDS
        for path in sorted((ROOT / app).rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if KEY_SPELLED.search(line)
    ]
    assert spelled == []


def test_the_check_sees_a_key_spelled_out() -> None:
    assert KEY_SPELLED.search('raw = store.hgetall("frgm:{spot-risk}:rows")')
    assert KEY_SPELLED.search("EVICTIONS = 'frgm:{ops}:evicted_keys'")
