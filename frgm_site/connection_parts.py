"""A connection URL from its parts, as AWS hands them over.

RDS's and the state store ACL user's generated secrets are JSON; ECS injects
them field by field (``ecs.Secret.from_secrets_manager(secret, field=...)``),
so each URL setting may instead come as ``<PREFIX>_HOST``, ``_PORT``, ``_USER``,
``_PASSWORD`` (and ``_NAME`` for a database).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import dj_database_url

from frgm_site.env import MalformedValue, env_int, env_str


def url_from_parts(prefix: str, *, scheme: str, default_port: int) -> str | None:
    """``scheme://user:password@host:port/name`` from ``<prefix>_*``; None when
    ``<prefix>_HOST`` is unset (the URL setting is read instead)."""
    host = env_str(f"{prefix}_HOST", "")
    if not host:
        return None
    port = env_int(f"{prefix}_PORT", default_port)
    user = quote(env_str(f"{prefix}_USER", ""), safe="")
    password = quote(env_str(f"{prefix}_PASSWORD", ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    name = quote(env_str(f"{prefix}_NAME", ""), safe="")
    return f"{scheme}://{auth}{host}:{port}/{name}"


def database_config(url: str, *, conn_max_age: int) -> dict[str, Any]:
    """Django's ``DATABASES`` entry for ``url``; the URL (it holds the password) is
    never part of the error."""
    try:
        return dict(dj_database_url.parse(url, conn_max_age=conn_max_age))
    except ValueError:
        scheme = url.partition("://")[0] if "://" in url else "(none)"
        raise MalformedValue(
            f"DATABASE_URL is not a database URL Django can use (scheme {scheme!r}): "
            "postgres://user:password@host:5432/name or sqlite:///path"
        ) from None
