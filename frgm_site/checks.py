"""Settings problems as system checks with stable ids and hints.

- frgm.E001-E003: a value settings could not use, in any mode (a required one
  missing, a malformed one, an unreadable ``NAME_FILE``): settings record them
  (``frgm_site.env.EnvReader``) and import anyway, with safe fallbacks.
- frgm.E101-E104: production settings that are unsafe though well formed.

Each check reports every problem at once (``manage.py check`` and
``check --deploy`` list them). Django runs them before runserver, migrate and
our own commands; ``settings_refuse_unsafe`` runs them where Django does not
(uvicorn's ASGI app, the Celery worker), so a process with one of these errors
never starts.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.management.base import SystemCheckError

# A trusted proxy network wider than this trusts a good part of the internet to
# say who the client is: the ALB's subnets are /16 to /28.
MIN_PROXY_PREFIX = {4: 8, 6: 32}
REDIS_URL_SETTINGS = ("FRGM_STATE_REDIS_URL", "FRGM_MESSAGING_REDIS_URL", "CELERY_BROKER_URL")


def _debug_problems(*, debug: bool) -> list[Error]:
    if not debug:
        return []
    return [
        Error(
            "DJANGO_DEBUG is on in production: error pages would show settings and code.",
            hint="Unset DJANGO_DEBUG (or set it to 0) where FRGM_ENV=prod.",
            id="frgm.E101",
        )
    ]


def _host_problems(*, allowed_hosts: Iterable[str]) -> list[Error]:
    wildcards = [host for host in allowed_hosts if host.strip() in {"*", "."}]
    if not wildcards:
        return []
    return [
        Error(
            f"DJANGO_ALLOWED_HOSTS holds a wildcard ({', '.join(wildcards)}): any Host header "
            "is accepted, so links in password resets and notifications can be forged.",
            hint="Name the portal's host names, e.g. DJANGO_ALLOWED_HOSTS=frgm.example.com.",
            id="frgm.E102",
        )
    ]


def _proxy_problems(*, trusted_proxies: Iterable[str]) -> list[Error]:
    too_wide = []
    for value in trusted_proxies:
        network = ipaddress.ip_network(value, strict=False)
        if network.prefixlen < MIN_PROXY_PREFIX[network.version]:
            too_wide.append(str(network))
    if not too_wide:
        return []
    return [
        Error(
            f"FRGM_TRUSTED_PROXIES trusts too much of the internet ({', '.join(too_wide)}): "
            "anyone there could choose the address logins are throttled by.",
            hint=(
                "List only the load balancer's subnets; IPv4 networks must be /8 or narrower, "
                "IPv6 /32 or narrower."
            ),
            id="frgm.E103",
        )
    ]


def _redis_problems(*, urls: dict[str, str]) -> list[Error]:
    plain = [name for name, url in urls.items() if urlparse(url).scheme != "rediss"]
    if not plain:
        return []
    return [
        Error(
            f"{', '.join(plain)} must use TLS (rediss://) in production: a plain redis:// "
            "URL sends the password and every feed value in clear text.",
            hint="Use the rediss:// URL MemoryDB / ElastiCache give for in-transit encryption.",
            id="frgm.E104",
        )
    ]


@register()
def settings_values_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every environment value settings could not use, each with its id and a hint."""
    return [
        Error(problem.message, hint=problem.hint, id=problem.check_id)
        for problem in settings.FRGM_CONFIG_PROBLEMS
    ]


@register(Tags.security)
def production_settings_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every unsafe production setting, each once with its id and a hint."""
    if not settings.PRODUCTION:
        return []
    problems: list[CheckMessage] = []
    problems += _debug_problems(debug=settings.DEBUG)
    problems += _host_problems(allowed_hosts=settings.ALLOWED_HOSTS)
    problems += _proxy_problems(trusted_proxies=settings.FRGM_TRUSTED_PROXIES)
    problems += _redis_problems(urls={name: getattr(settings, name) for name in REDIS_URL_SETTINGS})
    return problems


def settings_refuse_unsafe() -> None:
    """Raise SystemCheckError listing every error when settings are unusable or unsafe.

    For the entry points Django's own check run does not cover (ASGI, Celery)."""
    messages = settings_values_check() + production_settings_check()
    errors = [m for m in messages if m.is_serious()]
    if errors:
        lines = "\n".join(f"{m}" for m in errors)
        raise SystemCheckError(f"unusable or unsafe settings, refusing to start:\n{lines}")
