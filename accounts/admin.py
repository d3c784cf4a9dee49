from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.api_auth import api_token_revoke
from accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """List and revoke tokens. New ones come from ``manage.py api_token create``,
    the only place a token is ever shown; the hash is never displayed."""

    list_display = ("prefix", "name", "user", "created", "last_used", "revoked")
    list_filter = ("revoked",)
    search_fields = ("prefix", "name", "user__username")
    list_select_related = ("user",)
    fields = ("prefix", "name", "user", "created", "last_used", "revoked")
    readonly_fields = ("prefix", "user", "created", "last_used")
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
