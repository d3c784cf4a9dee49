"""Admin pages for what admins edit (feed settings, holidays, secret references)
and read-only views of what the system records (alarms, incidents, audit)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.db.models import QuerySet
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from ops.models import (
    AlarmStatus,
    AlarmTransition,
    AuditEvent,
    FeedSettings,
    Holiday,
    Incident,
    IncidentEvent,
    SecretReference,
    Silence,
)
from ops.secrets import secret_verify
from ops.services import audit_record


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: nothing is edited or deleted."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "target", "detail"]
    list_filter = ["action"]
    search_fields = ["target", "detail", "actor__username"]


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
    def verify(self, request: HttpRequest, queryset: QuerySet[SecretReference]) -> None:
        for reference in queryset:
            secret_verify(reference=reference, user=request.user)
            if reference.verify_error:
                messages.error(request, f"{reference.name}: {reference.verify_error}")
            elif reference.rotation_overdue():
                messages.warning(request, f"{reference.name}: rotation overdue")
            else:
                messages.success(request, f"{reference.name}: verified")


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
