"""A connection URL from its parts, as AWS hands them over.

RDS's and the state store ACL user's generated secrets are JSON; ECS injects
them field by field (``ecs.Secret.from_secrets_manager(secret, field=...)``),
so each URL setting may instead come as ``<PREFIX>_HOST``, ``_PORT``, ``_USER``,
``_PASSWORD`` (and ``_NAME`` for a database).
"""

from __future__ import annotations

from urllib.parse import quote

from frgm_site.env import env_int, env_str


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
