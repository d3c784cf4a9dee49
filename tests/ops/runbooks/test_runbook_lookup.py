"""Search ranks title hits first; alarms find their runbooks."""

from __future__ import annotations

from ops.runbooks import Runbook, runbooks_all, runbooks_for_alarm, runbooks_search


def _runbook(slug: str, title: str, body: str, alarms: tuple[str, ...] = ()) -> Runbook:
    return Runbook(
        slug=slug, title=title, alarms=alarms, severity="warning", owner="tests", body=body
    )


CORPUS = [
    _runbook("a", "Worker down", "Check the DLQ. The DLQ. The DLQ again, dlq."),
    _runbook("b", "DLQ not empty", "Inspect a message before you redrive."),
    _runbook("c", "Feed stalled", "Nothing about queues here."),
    _runbook("d", "Redis memory", "One mention of the dlq."),
]


def test_it_finds_by_title_and_by_body_case_insensitively() -> None:
    assert [r.slug for r in runbooks_search("feed STALLED", runbooks=CORPUS)] == ["c"]
    assert [r.slug for r in runbooks_search("REDRIVE", runbooks=CORPUS)] == ["b"]


def test_title_hits_rank_before_body_hits_then_by_body_count() -> None:
    found = [r.slug for r in runbooks_search("dlq", runbooks=CORPUS)]
    assert found == ["b", "a", "d"]


def test_every_word_must_occur_and_an_empty_query_finds_nothing() -> None:
    assert runbooks_search("dlq nonsenseword", runbooks=CORPUS) == []
    assert runbooks_search("   ", runbooks=CORPUS) == []


def test_repo_search_finds_runbooks_by_title_and_body() -> None:
    by_title = runbooks_search("throttling")
    assert by_title[0].slug == "dynamodb-throttling"
    by_body = [r.slug for r in runbooks_search("restore-table-to-point-in-time")]
    assert "restore-and-rebuild" in by_body
    assert runbooks_search("rebuild_state")[0].slug == "restore-and-rebuild"


def test_an_alarm_finds_the_runbooks_that_name_it() -> None:
    assert [r.slug for r in runbooks_for_alarm("dlq-not-empty")] == ["dlq-poison-files"]
    stalled = {r.slug for r in runbooks_for_alarm("feed-stalled-tt-orders")}
    assert stalled == {"feed-stalled", "tt-api-failure"}
    assert runbooks_for_alarm("no-such-alarm") == []


def test_runbooks_are_read_once_and_returned_as_fresh_lists() -> None:
    first, second = runbooks_all(), runbooks_all()
    assert first == second
    assert first is not second
    assert all(a is b for a, b in zip(first, second, strict=True))
