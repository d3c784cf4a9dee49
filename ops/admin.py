"""Admin pages for what admins edit (feed settings, holidays, secret references)
and read-only views of what the system records (alarms, incidents). The audit
trail's page is accounts'."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.roles import AuthenticatedHttpRequest
from lib.admin_read_only import ReadOnlyAdmin
from ops.models import (
    AlarmStatus,
    AlarmTransition,
    FeedSettings,
    Holiday,
    Incident,
    IncidentEvent,
    SecretReference,
    Silence,
)
from ops.secrets import secret_verify


@admin.register(FeedSettings)
class FeedSettingsAdmin(admin.ModelAdmin):
    list_display = ["feed", "schedule", "interval_s", "grace_s"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["day", "name"]


@admin.register(Silence)
class SilenceAdmin(ReadOnlyAdmin):
    list_display = ["target", "name", "until", "reason", "created_by", "created_at"]


@admin.register(AlarmStatus)
class AlarmStatusAdmin(ReadOnlyAdmin):
    list_display = ["alarm_id", "state", "since", "reason"]


@admin.register(AlarmTransition)
class AlarmTransitionAdmin(ReadOnlyAdmin):
    list_display = ["at", "alarm_id", "old_state", "new_state", "notified_at"]
    list_filter = ["alarm_id", "new_state"]


class IncidentEventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "text", "by", "at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["pk", "title", "state", "opened_at", "resolved_at"]
    inlines = [IncidentEventInline]


@admin.register(SecretReference)
class SecretReferenceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "purpose",
        "used_by",
        "owner",
        "rotation_days",
        "last_rotated",
        "last_accessed",
        "last_verified",
        "overdue",
        "verify_error",
    ]
    readonly_fields = ["last_rotated", "last_accessed", "last_verified", "verify_error"]
    actions = ["verify"]

    @admin.display(boolean=True, description="rotation overdue")
    def overdue(self, obj: SecretReference) -> bool:
        return obj.rotation_overdue(timezone.now())

    @admin.action(description="Verify with Secrets Manager (metadata only)")
    def verify(
        self, request: AuthenticatedHttpRequest, queryset: QuerySet[SecretReference]
    ) -> None:
        for reference in queryset:
            secret_verify(reference=reference, user=request.user)
            if reference.verify_error:
                messages.error(request, f"{reference.name}: {reference.verify_error}")
            elif reference.rotation_overdue():
                messages.warning(request, f"{reference.name}: rotation overdue")
            else:
                messages.success(request, f"{reference.name}: verified")
