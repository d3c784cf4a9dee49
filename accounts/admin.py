"""Admin pages for users, API tokens, failed logins and the audit trail."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.api_auth import api_token_revoke
from accounts.login_throttle import login_unlock
from accounts.models import ApiToken, AuditEvent
from accounts.services import audit_record
from lib.admin_read_only import ReadOnlyAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """List and revoke tokens. New ones come from ``manage.py api_token create``,
    the only place a token is ever shown; the hash is never displayed."""

    list_display = ("prefix", "name", "user", "created", "last_used", "revoked")
    list_filter = ("revoked",)
    search_fields = ("prefix", "name", "user__username")
    list_select_related = ("user",)
    fields = ("prefix", "name", "user", "created", "last_used", "revoked")
    # Revoking goes through the audited action; no form edit can set or clear it.
    readonly_fields = ("prefix", "user", "created", "last_used", "revoked")
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        # An admin action leaves no LogEntry, so the service audits each revocation.
        revoked = sum(
            api_token_revoke(token=token, actor=request.user, via="admin action")
            for token in queryset.select_related("user")
        )
        self.message_user(request, f"Revoked {revoked} token(s).")


# django-axes registered its own admin for the failed-login records, and Django its
# user admin: both get an audited "unlock" action (accounts.login_throttle).
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LoginAttemptAdmin(AccessAttemptAdmin):
    actions = ("unlock", *AccessAttemptAdmin.actions)

    @admin.action(description="Unlock: forget the selected failed logins")
    def unlock(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        pairs = set(queryset.values_list("username", "ip_address"))
        cleared = sum(
            login_unlock(username=username, ip_address=ip, actor=request.user, via="admin action")
            for username, ip in sorted(pairs, key=str)
        )
        self.message_user(request, f"Unlocked {len(pairs)} login(s) ({cleared} record(s)).")


admin.site.unregister(User)


@admin.register(User)
class FrgmUserAdmin(UserAdmin):
    actions = ("unlock_logins",)

    @admin.action(description="Unlock logins (forget failed logins from every address)")
    def unlock_logins(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        unlocked = [
            user.username
            for user in queryset
            if login_unlock(username=user.username, actor=request.user, via="admin action")
        ]
        self.message_user(
            request, f"Unlocked {', '.join(unlocked)}." if unlocked else "Nobody was locked."
        )


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "target", "detail"]
    list_filter = ["action"]
    search_fields = ["target", "detail", "actor__username"]
    list_select_related = ["actor"]


@receiver(post_save, sender=LogEntry)
def admin_action_audit(sender: type, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """Every change made in the admin joins the audit trail."""
    if created:
        audit_record(
            actor=instance.user,
            action=f"admin.{instance.get_action_flag_display()}".lower(),
            target=f"{instance.content_type} {instance.object_repr}"[:255],
            detail=instance.get_change_message()[:2000],
        )
