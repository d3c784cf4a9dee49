"""The live hub's FRGM_LIVE_* settings are declared once, in settings.py, from the
environment, and the hub reads them from django.conf.settings."""

from __future__ import annotations

from django.conf import settings
from django.test import override_settings

from ladder.hub import Subscriber
from tests.site.test_settings import _manage

LIVE_DEFAULTS = {
    "FRGM_LIVE_SETTLE_S": 0.01,
    "FRGM_LIVE_INTERVAL_S": 0.25,
    "FRGM_LIVE_FILE_WAIT_S": 0.1,
    "FRGM_LIVE_BATCH_GAP_S": 0.15,
    "FRGM_LIVE_BATCH_WAIT_S": 1.0,
    "FRGM_LIVE_QUEUE_SIZE": 32,
    "FRGM_LIVE_PING_S": 15.0,
    "FRGM_LIVE_IDLE_S": 45.0,
    "FRGM_LIVE_HEALTH_S": 2.0,
}
_PRINT = "from django.conf import settings; print(settings.{}, settings.{})"


def test_every_live_setting_is_declared_with_its_default() -> None:
    for name, default in LIVE_DEFAULTS.items():
        assert getattr(settings, name) == default, name


def test_the_environment_sets_them() -> None:
    shown = _manage(
        {"FRGM_LIVE_BATCH_WAIT_S": "0.5", "FRGM_LIVE_QUEUE_SIZE": "8"},
        "shell",
        "-c",
        _PRINT.format("FRGM_LIVE_BATCH_WAIT_S", "FRGM_LIVE_QUEUE_SIZE"),
    )
    assert shown.returncode == 0, shown.stderr
    # the last line: Django's shell may first say what it imported
    assert shown.stdout.strip().splitlines()[-1].split() == ["0.5", "8"]


def test_a_bad_value_fails_loudly_naming_the_variable() -> None:
    shown = _manage({"FRGM_LIVE_QUEUE_SIZE": "lots"}, "check")
    assert shown.returncode != 0
    assert "FRGM_LIVE_QUEUE_SIZE" in shown.stderr


async def _close(code: int) -> None:
    return None


def test_a_socket_s_queue_is_as_long_as_the_setting_says() -> None:
    with override_settings(FRGM_LIVE_QUEUE_SIZE=3):
        assert Subscriber(close=_close).queue.maxsize == 3
    assert Subscriber(close=_close).queue.maxsize == 32
    assert Subscriber(close=_close, queue_size=5).queue.maxsize == 5
