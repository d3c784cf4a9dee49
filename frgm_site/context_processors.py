"""Context every page may use; evaluated only by the templates that use it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.html import json_script

from feeds.store_status import state_store_down


def feed_intervals(request: HttpRequest) -> dict[str, Any]:
    """The feeds' expected intervals, as a JSON script element, for the live pages'
    "stale" banner: the same numbers that make a feed late on the ops pages.

    Here, not in ladder/: the settings belong to ops, and ladder reads feeds only.
    """

    def script() -> str:
        from ops.selectors import feed_intervals as intervals

        return json_script(intervals(), "feed-intervals")

    return {"feed_intervals_script": SimpleLazyObject(script)}


def state_store_status(request: HttpRequest) -> dict[str, Any]:
    """``state_store_down`` for the site-wide banner (base.html): a cached check, at
    most one PING every few seconds per process (``feeds.store_status``), run only
    when a logged-in page renders the banner. A view whose reads failed sets
    ``state_store_down`` itself, which wins over this."""

    return {"state_store_down": SimpleLazyObject(state_store_down)}
