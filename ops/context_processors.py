"""What every ops page shows above its content: a stopped alarm evaluation.

Lazy: only templates that show it (the ops sub-navigation) run its query."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject


def ops_status(request: HttpRequest) -> dict[str, Any]:
    def freshness() -> object:
        from ops.selectors import evaluation_freshness

        return evaluation_freshness(now=timezone.now())

    return {"evaluation": SimpleLazyObject(freshness)}
