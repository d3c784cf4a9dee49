"""The front matter parser is strict and names the file in every error."""

from __future__ import annotations

import pytest

from ops.runbooks import RunbookError, runbook_parse

GOOD = """---
title: Feed stalled
alarms:
  - feed-stalled-vtexp
  - feed-stalled-spot-risk
severity: critical
owner: frgm-platform
---

## Symptoms

Body text.
"""


def test_it_reads_every_key_and_keeps_the_body() -> None:
    runbook = runbook_parse(GOOD, name="feed-stalled.md")
    assert runbook.slug == "feed-stalled"
    assert runbook.title == "Feed stalled"
    assert runbook.alarms == ("feed-stalled-vtexp", "feed-stalled-spot-risk")
    assert runbook.severity == "critical"
    assert runbook.owner == "frgm-platform"
    assert runbook.body == "## Symptoms\n\nBody text.\n"


def test_an_empty_alarm_list_is_allowed() -> None:
    text = GOOD.replace("alarms:\n  - feed-stalled-vtexp\n  - feed-stalled-spot-risk", "alarms: []")
    assert runbook_parse(text, name="basics.md").alarms == ()


def test_quoted_values_lose_their_quotes() -> None:
    text = GOOD.replace("title: Feed stalled", 'title: "Feed: stalled"')
    assert runbook_parse(text, name="x.md").title == "Feed: stalled"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("severity: critical\n", ""), "misses severity"),
        (GOOD.replace("owner: frgm-platform\n", ""), "misses owner"),
        (GOOD.replace("title: Feed stalled\n", ""), "misses title"),
        (GOOD.replace("severity: critical", "severity: urgent"), "severity 'urgent'"),
        (GOOD.replace("owner: frgm-platform", "owner: x\nteam: y"), "unknown key 'team'"),
        (GOOD.replace("owner: frgm-platform", "owner: x\nowner: y"), "given twice"),
        (GOOD.replace("  - feed-stalled-vtexp", "  - Feed Stalled"), "alarm id"),
        (GOOD.replace("alarms:", "alarms: feed-stalled-vtexp"), "own '  - id' lines"),
        (GOOD.replace("title: Feed stalled", "title:"), "title is empty"),
        (GOOD.replace("---\n\n## Symptoms", "\n## Symptoms"), "no closing '---'"),
        (GOOD.removeprefix("---\n"), "must start with a '---' line"),
        (GOOD.replace("owner: frgm-platform", "just words"), "expected 'key: value'"),
    ],
)
def test_a_bad_front_matter_is_an_error_naming_the_file(text: str, message: str) -> None:
    with pytest.raises(RunbookError, match=r"^broken-runbook\.md: ") as caught:
        runbook_parse(text, name="broken-runbook.md")
    assert message in str(caught.value)


def test_a_bad_file_name_is_an_error() -> None:
    with pytest.raises(RunbookError, match=r"Feed Stalled\.md"):
        runbook_parse(GOOD, name="Feed Stalled.md")
