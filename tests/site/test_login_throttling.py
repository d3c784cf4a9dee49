"""Repeated failed logins lock one username from one address for a while; nobody
else's mistakes or logins change that, and each failure slows the next guess."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from accounts import login_throttle
from accounts.login_throttle import login_delay_s

ATTACKER = "203.0.113.9"
ELSEWHERE = "198.51.100.4"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_login_delay")]


@pytest.fixture
def no_login_delay(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the login view waited, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr(login_throttle, "_sleep", waited.append)
    return waited


def _login(username: str, password: str, address: str = "127.0.0.1", client: Client | None = None):
    return (client or Client()).post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


@override_settings(AXES_FAILURE_LIMIT=3)
def test_an_account_is_locked_after_repeated_failures(client, trader) -> None:
    for _ in range(3):
        client.post(reverse("login"), {"username": "tina-trader", "password": "wrong"})
    locked = client.post(
        reverse("login"), {"username": "tina-trader", "password": "pw-tina-trader"}
    )
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_few_mistakes_then_the_right_password_still_logs_in(client, trader) -> None:
    for _ in range(2):
        client.post(reverse("login"), {"username": "tina-trader", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "tina-trader", "password": "pw-tina-trader"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@override_settings(AXES_FAILURE_LIMIT=3)
def test_an_attackers_own_good_login_does_not_reset_the_victims_failures(
    trader, administrator
) -> None:
    # The probe: four guesses, one good login to one's own account, four more...
    _login("ada-admin", "guess-1", ATTACKER)
    _login("ada-admin", "guess-2", ATTACKER)
    assert _login("tina-trader", "pw-tina-trader", ATTACKER).status_code == 302
    _login("ada-admin", "guess-3", ATTACKER)
    locked = _login("ada-admin", "pw-ada-admin", ATTACKER)
    assert locked.status_code == 429  # three failures from here: locked, reset or not


@override_settings(AXES_FAILURE_LIMIT=3)
def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(
    administrator,
) -> None:
    for n in range(5):
        _login("ada-admin", f"guess-{n}", ATTACKER)
    assert _login("ada-admin", "pw-ada-admin", ATTACKER).status_code == 429
    owner = _login("ada-admin", "pw-ada-admin", ELSEWHERE)
    assert owner.status_code == 302
    assert owner["Location"] == reverse("home")


@override_settings(AXES_FAILURE_LIMIT=3)
def test_failures_for_other_usernames_do_not_lock_a_username(trader) -> None:
    for name in ("admin", "root", "oscar"):
        _login(name, "wrong", ATTACKER)
    assert _login("tina-trader", "pw-tina-trader", ATTACKER).status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_x_forwarded_for_does_not_change_the_locked_address(trader) -> None:
    for n in range(3):
        Client().post(
            reverse("login"),
            {"username": "tina-trader", "password": "wrong"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"10.1.1.{n}",
        )
    again = Client().post(
        reverse("login"),
        {"username": "tina-trader", "password": "pw-tina-trader"},
        REMOTE_ADDR=ATTACKER,
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    assert again.status_code == 429


@override_settings(AXES_FAILURE_LIMIT=100, FRGM_LOGIN_DELAY_STEP_S=0.5, FRGM_LOGIN_DELAY_MAX_S=3.0)
def test_each_recent_failure_of_a_username_delays_its_next_check(
    trader, no_login_delay: list[float]
) -> None:
    # From a new address each time: the delay follows the username, not the address.
    for n in range(8):
        _login("tina-trader", "wrong", f"192.0.2.{n}")
    assert no_login_delay == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.0]  # the first try waits nothing
    _login("tina-trader", "pw-tina-trader", "192.0.2.200")
    assert no_login_delay[-1] == 3.0  # the right password waits too: a guess cannot tell


@override_settings(FRGM_LOGIN_DELAY_STEP_S=0.5, FRGM_LOGIN_DELAY_MAX_S=3.0)
def test_the_delay_grows_by_half_a_second_a_failure_up_to_three_seconds() -> None:
    assert [login_delay_s(failures=n) for n in (0, 1, 2, 5, 6, 1000)] == [
        0.0,
        0.5,
        1.0,
        2.5,
        3.0,
        3.0,
    ]


def test_another_usernames_failures_do_not_delay_a_login(trader, no_login_delay) -> None:
    _login("ada-admin", "wrong", ATTACKER)
    _login("ada-admin", "wrong", ATTACKER)
    assert _login("tina-trader", "pw-tina-trader", ATTACKER).status_code == 302
    assert no_login_delay == [0.5]  # the second ada-admin guess only


@override_settings(AXES_FAILURE_LIMIT=3, AXES_COOLOFF_TIME=timedelta(minutes=15))
def test_the_locked_page_says_for_how_long_and_whom_to_ask(trader) -> None:
    for _ in range(3):
        _login("tina-trader", "wrong", ATTACKER)
    page = _login("tina-trader", "pw-tina-trader", ATTACKER)
    assert page.status_code == 429
    text = page.content.decode()
    assert "Logins as <strong>tina-trader</strong> from this address are locked" in text
    assert "for 15 minutes" in text
    assert "ask an FRGM Live admin" in text
    assert "Logins from other addresses are not affected" in text


def test_a_wrong_password_gets_the_usual_message(trader) -> None:
    page = _login("tina-trader", "wrong")
    assert page.status_code == 200
    assert b"Your username and password did not match" in page.content
