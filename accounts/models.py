"""API tokens for desk scripts and the audit trail of who did what.

Tokens are for scripts that call the JSON API (``docs/API.md``). A token is
shown once, when it is created, and never stored: the database keeps its
SHA-256 (to recognise it) and a short prefix (to tell tokens apart in lists).
Revoking keeps the row, so the admin shows who had access.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. risk-export")
    prefix = models.CharField(max_length=16, help_text="The token's first characters: not secret")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(
        null=True, blank=True, help_text="When the token was revoked; a revoked token stays revoked"
    )

    class Meta:
        ordering = ("-created",)
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name}, {self.user})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A leaked token was revoked for a reason: no edit (admin form, shell, a
        # service) may bring it back or move its revocation time.
        if self.pk is not None:
            stored = ApiToken.objects.filter(pk=self.pk).values_list("revoked", flat=True).first()
            if stored is not None and self.revoked != stored:
                raise TokenRevokedError(f"API token {self.prefix}… is revoked and stays revoked")
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.revoked is None


class TokenRevokedError(ValueError):
    """An attempt to un-revoke (or re-date the revocation of) an API token."""


class AuditEvent(models.Model):
    """Who did what, when: admin actions, redrives, acks, secret verifications."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=255, blank=True)
    detail = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        # The table ops made before the model moved here (0004_auditevent_from_ops):
        # the rows stay where they are.
        db_table = "ops_auditevent"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target}"
