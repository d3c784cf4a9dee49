"""What every ops page shows above its content: a stopped alarm evaluation and the
silences in force (maintenance), so no page alarms without saying what is silenced.

Lazy: only templates that show them (the ops sub-navigation) run their queries."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject


def ops_status(request: HttpRequest) -> dict[str, Any]:
    def freshness() -> object:
        from ops.selectors import evaluation_freshness

        return evaluation_freshness(now=timezone.now())

    def silences() -> object:
        from ops.selectors import active_silences

        return active_silences(now=timezone.now())

    return {"evaluation": SimpleLazyObject(freshness), "silences": SimpleLazyObject(silences)}
