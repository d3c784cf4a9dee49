"""Every page, as each role sees it in real Chromium, runs under a strict
Content-Security-Policy and breaks none of it: no inline script, style or
handler, Plotly's charts and the websockets included."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import Group, User

from feeds.feed_keys import spot_risk_key, trading_date_for
from ops.models import Incident
from ops.scheduler import ops_cycle_run
from tests.browser.support import BROWSER_MARKS, chromium_page, served_app, session_cookie
from tests.feeds.ingest.conftest import history_count, sample

pytestmark = BROWSER_MARKS

# Recorded from the first script on, before any of the page's own.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} `
    + `at ${e.sourceFile}:${e.lineNumber} ${e.sample || ""}`);
});
"""
TRADER_PAGES = ["/ladder/", "/ladder/spot-risk/", "/ladder/analytics/", "/ladder/slide/"]
# Functions, not expressions: Playwright evaluates an expression with eval(),
# which the policy (rightly) refuses.
CHARTS_DRAWN = (
    "() => document.querySelector('#chart-series .main-svg') !== null"
    " && document.querySelector('#chart-smile .main-svg') !== null"
)
LADDER_LIVE = "() => window.frgmLive && window.frgmLive.state().connected"


def _ops_pages(incident: Incident) -> list[str]:
    return [
        "/ops/",
        "/ops/feeds/spot-risk/",
        "/ops/alarms/",
        "/ops/alarms/dlq-not-empty/",
        "/ops/incidents/",
        f"/ops/incidents/{incident.pk}/",
        "/ops/runbooks/",
        "/ops/runbooks/worker-down/",
    ]


def _admin_pages(user: User, incident: Incident) -> list[str]:
    return [
        "/admin/",
        "/admin/auth/user/",
        f"/admin/auth/user/{user.pk}/change/",
        "/admin/auth/group/",
        "/admin/ops/incident/",
        f"/admin/ops/incident/{incident.pk}/change/",
        "/admin/ops/secretreference/add/",
        "/admin/accounts/apitoken/",
        "/admin/accounts/auditevent/",
    ]


def _user(username: str, role: str) -> User:
    user = User.objects.create_user(username, password=f"pw-{username}")
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    if role == "admin":
        user.is_staff = user.is_superuser = True
        user.save()
    return user


def _visit(page: Any, path: str, console: list[str]) -> list[str]:
    """Problems on ``path``: a missing policy, violations, console errors."""
    console.clear()
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, f"{path} answered {response.status}"
    policy = response.headers.get("content-security-policy", "")
    problems = [] if "default-src 'self'" in policy else [f"{path}: no CSP header"]
    if path.startswith("/ladder/analytics/"):
        page.wait_for_function(CHARTS_DRAWN, timeout=15000)
    elif path.startswith("/ladder/slide/"):
        page.wait_for_function("() => document.querySelector('#chart-slide .main-svg') !== null")
    elif path in {"/ladder/", "/ladder/spot-risk/"}:
        page.wait_for_function(LADDER_LIVE, timeout=15000)
    page.wait_for_load_state("load")
    problems += [f"{path}: {v}" for v in page.evaluate("() => window.__csp")]
    problems += [f"{path}: console: {text}" for text in console]
    return problems


def _tab_watch(page: Any) -> list[str]:
    """The tab's console errors (Chromium logs each refused inline style or script)."""
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.add_init_script(LISTEN)
    return console


def _wait_for_history(day: str) -> None:
    deadline = time.monotonic() + 15
    while history_count("spot-risk", day, metrics=True) < 1:
        assert time.monotonic() < deadline, "today's spot-risk file not in the history"
        time.sleep(0.1)


def test_every_page_for_every_role_passes_the_content_security_policy(desk) -> None:
    now = datetime.now(UTC)
    desk.put(
        spot_risk_key(moment=now), sample("actant/bav_analysis_20250721_203007.csv")
    )  # today's analytics have a point to draw
    day = trading_date_for(now).isoformat()
    ops_cycle_run()
    trader = User.objects.get(username="tina-live")
    oncall = _user("omar-csp", "oncall")
    admin = _user("ada-csp", "admin")
    incident = Incident.objects.create(alarm_id="dlq-not-empty", title="DLQ not empty")
    visits = [
        (trader, TRADER_PAGES),
        (oncall, _ops_pages(incident)),
        (admin, TRADER_PAGES + _ops_pages(incident) + _admin_pages(admin, incident)),
    ]
    problems: list[str] = []
    _wait_for_history(day)
    with served_app() as url:
        with chromium_page(url) as page:  # the login page, before anyone logs in
            problems += _visit(page, "/accounts/login/", _tab_watch(page))
        for user, pages in visits:
            with chromium_page(url, cookies=session_cookie(user, url)) as page:
                console = _tab_watch(page)
                for path in pages:
                    problems += [f"{user.username} {p}" for p in _visit(page, path, console)]
                assert page.errors == []
    assert not problems, "\n".join(problems)
