"""The runbooks in ops/runbooks/ are complete, cover every alarm and name only real commands."""

from __future__ import annotations

import re

import pytest
from django.core.management import get_commands, load_command_class

from ops.runbooks import KEYS, RUNBOOK_DIR, SEVERITIES, runbook_get, runbooks_all

# The ids ops/alarms.py defines (one source for CloudWatch and the local evaluator).
ALARM_IDS = (
    "feed-stalled-spot-risk",
    "feed-stalled-vtexp",
    "feed-stalled-tt-positions",
    "feed-stalled-tt-orders",
    "ingest-errors",
    "dlq-not-empty",
    "redis-memory-high",
    "redis-evictions",
    "dynamodb-throttling",
    "worker-not-running",
    "scheduler-not-running",
    "web-targets-unhealthy",
    "e2e-latency-high",
    "secret-rotation-overdue",
)
SECTIONS = ("Symptoms", "First 5 minutes", "Diagnosis", "Fix", "Verify", "Escalate")
_MANAGE = re.compile(r"manage\.py (\w+)")


def test_every_runbook_file_parses_with_every_front_matter_key() -> None:
    runbooks = runbooks_all()
    assert len(runbooks) == len(list(RUNBOOK_DIR.glob("*.md"))) >= 10
    for runbook in runbooks:
        for name in KEYS:
            assert getattr(runbook, name) is not None, (runbook.slug, name)
        assert runbook.title, runbook.slug
        assert runbook.owner, runbook.slug
        assert runbook.severity in SEVERITIES, runbook.slug
        assert runbook.body.strip(), runbook.slug


def test_slugs_and_titles_are_unique() -> None:
    runbooks = runbooks_all()
    assert len({r.slug for r in runbooks}) == len(runbooks)
    assert len({r.title for r in runbooks}) == len(runbooks)
    assert runbook_get("feed-stalled") is not None
    assert runbook_get("no-such-runbook") is None


@pytest.mark.parametrize("alarm_id", ALARM_IDS)
def test_every_alarm_has_a_runbook(alarm_id: str) -> None:
    assert any(alarm_id in r.alarms for r in runbooks_all()), alarm_id


def test_runbooks_name_only_alarms_that_exist() -> None:
    named = {alarm for r in runbooks_all() for alarm in r.alarms}
    assert named <= set(ALARM_IDS), named - set(ALARM_IDS)


def test_every_alarm_runbook_has_the_on_call_sections() -> None:
    for runbook in runbooks_all():
        if not runbook.alarms:
            continue  # reference pages (on-call basics) have their own shape
        headings = re.findall(r"^## (.+)$", runbook.body, flags=re.MULTILINE)
        for section in SECTIONS:
            assert any(h.startswith(section) for h in headings), (runbook.slug, section)


def test_every_manage_py_command_in_a_runbook_exists() -> None:
    commands = set(get_commands())
    mentioned = {
        (runbook.slug, name) for runbook in runbooks_all() for name in _MANAGE.findall(runbook.body)
    }
    assert mentioned, "the runbooks mention no manage.py command at all"
    unknown = sorted(item for item in mentioned if item[1] not in commands)
    assert not unknown, f"runbooks name commands that do not exist: {unknown}"


def test_runbooks_never_show_how_to_read_a_secret_value() -> None:
    for runbook in runbooks_all():
        for line in runbook.body.splitlines():
            if "get-secret-value" in line:
                assert re.search(r"\b(never|not)\b", line, flags=re.IGNORECASE), (
                    runbook.slug,
                    line,
                )


def test_code_fences_start_at_the_margin() -> None:
    # Python-Markdown's fenced_code ignores indented fences: inside a list item
    # a code block must be an indented block (8 spaces) instead.
    for runbook in runbooks_all():
        for number, line in enumerate(runbook.body.splitlines(), 1):
            assert not re.match(r"^\s+(```|~~~)", line), (runbook.slug, number, line)


def test_every_option_given_to_our_commands_exists() -> None:
    commands = get_commands()
    usage = re.compile(r"manage\.py (\w+)([^`\n]*)")
    for runbook in runbooks_all():
        for name, rest in usage.findall(runbook.body):
            command = load_command_class(commands[name], name)
            known = set(command.create_parser("manage.py", name)._option_string_actions)
            for option in re.findall(r"(?<!\S)(--[a-z][a-z-]*)", rest):
                assert option in known, (runbook.slug, name, option)


def test_the_alarm_definitions_and_the_runbooks_agree() -> None:
    from ops.alarms import ALARMS

    assert {alarm.id for alarm in ALARMS} == set(ALARM_IDS)
    for alarm in ALARMS:
        runbook = runbook_get(alarm.runbook)
        assert runbook is not None, (alarm.id, alarm.runbook)
        assert alarm.id in runbook.alarms, (alarm.id, alarm.runbook)
