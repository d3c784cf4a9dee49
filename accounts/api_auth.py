"""JSON API authentication: the browser's session, or ``Authorization: Bearer <token>``.

API callers are scripts, so every refusal is JSON with a status, never a
redirect to the login page: 401 when the caller is unknown (no session, no
token, or a token that is unknown or revoked), 403 when the caller lacks the
role. Views opt out of ``LoginRequiredMiddleware`` and check here instead.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import ApiToken
from accounts.roles import Role, UserLike, user_has_role, user_roles
from accounts.services import audit_record

TOKEN_PREFIX = "frgm_"  # noqa: S105 - a label that starts every token, not a secret
PREFIX_LENGTH = 12  # "frgm_" and 7 characters: enough to tell tokens apart, useless to guess
LAST_USED_EVERY = timedelta(minutes=1)  # one write a minute per token, not one per call

KNOWN_TOKENS_MAX = 1024  # remembered tokens: far more than the desk has

View = TypeVar("View", bound=Callable[..., HttpResponse])

# token hash -> (monotonic expiry, its user, roles read): see api_token_user
_known: dict[str, tuple[float, UserLike]] = {}
_known_lock = threading.Lock()


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _audit_target(token: ApiToken) -> str:
    return f"{token.prefix}… ({token.name}, {token.user.username})"[:255]


@transaction.atomic
def api_token_create(
    *, user: UserLike, name: str, actor: UserLike | None = None, via: str = ""
) -> tuple[ApiToken, str]:
    """A new token for ``user``: the record, and the token itself (shown once, never stored).

    Audited: who (``actor``, None for a shell command) and from where (``via``).
    """
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[:PREFIX_LENGTH], key_hash=token_hash(raw)
    )
    audit_record(actor=actor, action="api_token.create", target=_audit_target(token), detail=via)
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: UserLike | None = None, via: str = "") -> bool:
    """Refuse the token from now on; False when it was revoked already (nothing audited)."""
    if token.revoked is not None:
        return False
    token.revoked = timezone.now()
    token.save(update_fields=["revoked"])
    with _known_lock:
        _known.pop(token.key_hash, None)
    audit_record(actor=actor, action="api_token.revoke", target=_audit_target(token), detail=via)
    return True


def api_token_user(*, raw: str) -> UserLike | None:
    """The active user behind an active token, or None.

    A token found is remembered for ``FRGM_API_TOKEN_CACHE_S`` seconds (user and
    roles with it), so a script polling the API costs no database query per
    call: revoking it here takes effect at once in this process, and in the
    others within those seconds, as does deactivating its user or changing roles.
    """
    digest = token_hash(raw)
    now = time.monotonic()
    with _known_lock:
        known = _known.get(digest)
    if known is not None and known[0] > now:
        return known[1]
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=digest, revoked__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    when = timezone.now()
    if token.last_used is None or when - token.last_used >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used=when)
    user_roles(token.user)  # read once now: remembered on the user with it
    ttl = float(getattr(settings, "FRGM_API_TOKEN_CACHE_S", 5.0))
    if ttl > 0:
        with _known_lock:
            if len(_known) >= KNOWN_TOKENS_MAX:
                _known.clear()
            _known[digest] = (now + ttl, token.user)
    return token.user


def api_tokens_forget() -> None:
    """Forget every remembered token (the next call of each reads the database)."""
    with _known_lock:
        _known.clear()


def api_error(status: int, message: str, **extra: Any) -> JsonResponse:
    response = JsonResponse({"error": message, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="frgm"'
    return response


def _caller(request: HttpRequest) -> tuple[UserLike | None, str | None]:
    """(user, None) or (None, why not)."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return None, "the Authorization header must be 'Bearer <token>'"
        user = api_token_user(raw=raw.strip())
        return (user, None) if user is not None else (None, "unknown or revoked token")
    if request.user.is_authenticated:
        return request.user, None
    return None, "authentication required: log in, or send 'Authorization: Bearer <token>'"


def api_role_required(role: Role) -> Callable[[View], View]:
    """A GET-only JSON view for callers with ``role`` (admins hold every role)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user, why = _caller(request)
            if user is None:
                return api_error(401, why or "authentication required")
            if not user_has_role(user, role):
                return api_error(403, f"this API needs the {role} role")
            request.user = user
            return view(request, *args, **kwargs)

        wrapped.frgm_required_role = role  # type: ignore[attr-defined]
        # Django's decorators keep the view's call as it is (update_wrapper).
        return cast(View, login_not_required(never_cache(require_GET(wrapped))))

    return decorator
