"""Every URL pattern of the project, for tests that must cover each page."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver


def url_patterns_all() -> list[tuple[str, str]]:
    """(pattern, namespaced name) of every view in the URL conf, the admin's included."""
    return _walk(get_resolver().url_patterns)


def _walk(patterns: list, prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            found.append((prefix + str(entry.pattern), f"{namespace}{entry.name or '?'}"))
    return found
