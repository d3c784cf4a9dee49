"""Every history item carries the table's TTL, so DynamoDB drops it after the
environment's retention (deploy/cdk names the same attribute on the table)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from feeds.history import TTL_ATTRIBUTE, history_items_build
from feeds.records import Feed


def test_both_items_of_a_file_expire_the_retention_after_its_time() -> None:
    file_time = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    items = history_items_build(
        feed=Feed.SPOT_RISK,
        trading_date=date(2026, 11, 24),
        file_time=file_time,
        object_key="actant/spot-risk/2026-11-24/bav_analysis_20261124_083000.csv",
        version_id="v1",
        rows={"ZN": '{"bid":"110.5"}'},
        metrics={"rows": 1},
        attributes={},
        retention_days=35,
    )
    expected = int(file_time.timestamp()) + 35 * 86400
    assert [int(item[TTL_ATTRIBUTE]["N"]) for item in items] == [expected, expected]
