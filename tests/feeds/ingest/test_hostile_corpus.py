"""Every hostile file is judged before it can hurt: quarantined with a reason
that says what is wrong, or ingested correctly; never retried, never
dead-lettered, and no page or API call answers 500 afterwards.

The corpus is tests/samples/hostile/ (made by its make_corpus.py from the real
samples); files too big to keep are made in test_files_judged_by_size.py.
"""

from __future__ import annotations

import json

import pytest

from feeds.models import QuarantinedFile
from tests.conftest import logged_in
from tests.feeds.ingest.conftest import SAMPLES, latest_rows

HOSTILE = SAMPLES / "hostile"
EXPECTED: dict[str, dict[str, str]] = json.loads((HOSTILE / "expected.json").read_text())
KINDS = ("spot-risk", "spot-risk-chunk", "vtexp", "tt-positions", "tt-orders", "tt-instruments")
PAGES = {
    "trader": ("/ladder/", "/ladder/spot-risk/", "/api/ladder/", "/api/spot-risk/"),
    "oncall": (
        "/ops/",
        "/ops/intake/",
        *(f"/ops/feeds/{feed}/" for feed in ("spot-risk", "vtexp", "tt-positions", "tt-orders")),
    ),
}


def test_the_corpus_covers_every_kind_and_is_what_its_script_writes() -> None:
    on_disk = {str(path.relative_to(HOSTILE)) for path in HOSTILE.glob("*/*") if path.is_file()}
    assert on_disk == set(EXPECTED)
    assert {name.split("/")[0] for name in EXPECTED} == set(KINDS)


@pytest.fixture
def corpus_ingested(feed_queue) -> dict[str, QuarantinedFile]:
    for name, case in sorted(EXPECTED.items()):
        feed_queue.put(case["key"], (HOSTILE / name).read_bytes())
    handled = feed_queue.drain()
    assert len(handled) >= len(EXPECTED)  # and S3's test event
    assert all(handled), "a hostile file was sent back for a retry"
    assert feed_queue.depth() == 0
    assert feed_queue.depth(feed_queue.dlq_url) == 0
    return {q.key: q for q in QuarantinedFile.objects.all()}


def test_each_hostile_file_is_quarantined_with_its_reason_or_ingested(corpus_ingested) -> None:
    wrong = []
    for name, case in sorted(EXPECTED.items()):
        record = corpus_ingested.get(case["key"])
        if case["expect"] == "ingested":
            if record is not None:
                wrong.append(f"{name}: quarantined ({record.reason})")
        elif record is None:
            wrong.append(f"{name}: not quarantined")
        elif case["reason"] not in record.reason:
            wrong.append(f"{name}: {record.reason!r} does not say {case['reason']!r}")
    assert not wrong, "\n".join(wrong)


def test_the_good_files_of_the_corpus_are_live_after_it(corpus_ingested) -> None:
    positions = latest_rows("tt-positions")
    assert {row["net_position"] for row in positions.values()} <= {219, -1_000_000}
    orders = latest_rows("tt-orders")
    assert orders, "the 2099 orders file must not have frozen the feed"
    assert len(latest_rows("vtexp")) == 10
    assert "XCME.ZN.SEP25" in latest_rows("spot-risk")
    instruments = latest_rows("tt-instruments")
    assert list(instruments) == ["9000000000000000099"]  # the 1/256 tick is accepted


def test_no_page_or_api_answers_500_after_the_corpus(corpus_ingested, trader, oncall) -> None:
    for persona, paths in (("trader", PAGES["trader"]), ("oncall", PAGES["oncall"])):
        client = logged_in(trader if persona == "trader" else oncall)
        for path in paths:
            response = client.get(path)
            assert response.status_code < 500, f"{path} as {persona}: {response.status_code}"
            assert response.status_code == 200, f"{path} as {persona}: {response.status_code}"
