"""Ops pages: thin adapters over ops.selectors and ops.services."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import AuthenticatedHttpRequest, Role, role_required
from accounts.services import audit_record
from feeds.models import QuarantinedFile
from feeds.records import Feed
from feeds.selectors import RecentFile, intake_refusals_read, recent_files, state_self_heal_last
from lib.aws import AwsUnavailable, client
from lib.redirects import next_url
from lib.redis_clients import StateStoreUnavailable
from ops import runbooks, selectors, services
from ops.alarms import ALARMS_BY_ID
from ops.forms import IncidentFilterForm, NoteForm, SilenceForm
from ops.models import AlarmTransition, Incident

oncall = role_required(Role.ONCALL)  # admins hold every role
admin_only = role_required(Role.ADMIN)
INCIDENTS_PER_PAGE = 50


@oncall
@require_GET
def health_page(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    evaluation = selectors.evaluation_freshness(now=now)
    silences = selectors.active_silences(now=now)
    return render(
        request,
        "ops/health.html",
        {
            "active": "ops",
            "rows": selectors.feed_rows_readable(now=now),
            "alarms": selectors.alarm_rows(freshness=evaluation, silences=silences),
            "evaluation": evaluation,
            "incidents": selectors.open_incidents(),
            "silences": silences,
            "silence_form": SilenceForm(),
            "self_heal": state_self_heal_last(),
        },
    )


@oncall
@require_GET
def feed_detail(request: HttpRequest, feed: str) -> HttpResponse:
    try:
        feed_enum = Feed(feed)
    except ValueError:
        raise Http404(f"no feed named {feed}") from None
    try:
        dlq = services.dlq_depth()
    except AwsUnavailable:
        dlq = None
    try:
        files: list[RecentFile] | None = recent_files(feed=feed_enum, limit=50)
        batches = (
            selectors.incomplete_batches(now=timezone.now()) if feed_enum is Feed.SPOT_RISK else []
        )
    except StateStoreUnavailable:  # the quarantine and the DLQ are still worth showing
        files, batches = None, []
    return render(
        request,
        "ops/feed_detail.html",
        {
            "active": "ops",
            "feed": feed_enum.value,
            "files": files,
            "state_store_down": files is None,
            "quarantined": QuarantinedFile.objects.filter(feed=feed)[:50],
            "batches": batches,
            "dlq_depth": dlq,
        },
    )


@oncall
@require_GET
def quarantine_download(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(QuarantinedFile, pk=pk, kind=QuarantinedFile.Kind.PARSE_ERROR)
    params = {"Bucket": record.bucket, "Key": record.key}
    if record.version_id:
        params["VersionId"] = record.version_id
    url = client("s3").generate_presigned_url("get_object", Params=params, ExpiresIn=300)
    audit_record(actor=request.user, action="quarantine.download", target=record.key)
    return HttpResponseRedirect(url)


@oncall
@require_POST
def dlq_redrive(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.POST.get("confirm") != "redrive":
        messages.error(request, "Type redrive to confirm.")
        return redirect(next_url(request, default="ops:health"))
    try:
        moved = services.dlq_redrive(user=request.user)
    except AwsUnavailable:
        # Not the exception's text: it names the internal endpoint.
        messages.error(request, "Redrive failed: the queue service (SQS) is unavailable.")
    else:
        messages.success(request, f"Moved {moved} message(s) back to the feed queue.")
    return redirect(next_url(request, default="ops:health"))


@oncall
@require_GET
def intake_page(request: HttpRequest) -> HttpResponse:
    """What never became a file: dead letters with their last error, ignored
    keys, other buckets' events and queue messages that were not S3 events."""
    try:
        dead_letters = services.dlq_peek()
        dlq = services.dlq_depth()
    except AwsUnavailable:
        dead_letters, dlq = None, None
    try:
        refusals = intake_refusals_read()
    except StateStoreUnavailable:
        refusals = None
    bad = QuarantinedFile.objects.filter(kind=QuarantinedFile.Kind.BAD_NOTIFICATION)
    return render(
        request,
        "ops/intake.html",
        {
            "active": "ops",
            "dead_letters": dead_letters,
            "dlq_depth": dlq,
            "refusals": refusals,
            "bad_notifications": bad[:20],
            "bad_notifications_total": bad.count(),
        },
    )


@admin_only
@require_POST
def feed_state_clear(request: AuthenticatedHttpRequest, feed: str) -> HttpResponse:
    try:
        feed_enum = Feed(feed)
    except ValueError:
        raise Http404(f"no feed named {feed}") from None
    if request.POST.get("confirm") != feed_enum.value:
        messages.error(request, f"Type {feed_enum.value} to confirm.")
        return redirect("ops:feed", feed=feed_enum.value)
    try:
        services.feed_state_clear(user=request.user, feed=feed_enum)
    except StateStoreUnavailable as exc:
        messages.error(request, f"Not cleared: {exc}")
    else:
        messages.success(
            request,
            f"Cleared the latest state of {feed_enum.value}: its next file is applied.",
        )
    return redirect("ops:feed", feed=feed_enum.value)


@oncall
@require_POST
def silence_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SilenceForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(
            f"{field}: {' '.join(str(error) for error in errs)}"
            for field, errs in form.errors.items()
        )
        messages.error(request, f"Not silenced. {errors}")
        return redirect("ops:health")
    target, name = form.target_and_name()
    services.silence_create(
        user=request.user,
        target=target,
        name=name,
        until=form.cleaned_data["until"],
        reason=form.cleaned_data["reason"],
    )
    done = f"Silenced {name} until {form.cleaned_data['until']:%a %H:%M}."
    if settings.FRGM_ALARM_SOURCE == "cloudwatch":
        every = settings.FRGM_ALARM_EVALUATE_EVERY_S
        done += f" CloudWatch stops notifying for it within {every:g} s, and resumes after."
    messages.success(request, done)
    return redirect("ops:health")


@oncall
@require_GET
def alarms_page(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    evaluation = selectors.evaluation_freshness(now=now)
    silences = selectors.active_silences(now=now)
    return render(
        request,
        "ops/alarms.html",
        {
            "active": "ops",
            "alarms": selectors.alarm_rows(freshness=evaluation, silences=silences),
            "evaluation": evaluation,
            "silences": silences,
            "undelivered": selectors.slack_undelivered(),
            "history": AlarmTransition.objects.all()[:100],
        },
    )


@oncall
@require_GET
def alarm_page(request: HttpRequest, alarm_id: str) -> HttpResponse:
    definition = ALARMS_BY_ID.get(alarm_id)
    if definition is None:
        raise Http404(f"no alarm {alarm_id}")
    now = timezone.now()
    evaluation = selectors.evaluation_freshness(now=now)
    silences = selectors.active_silences(now=now)
    rows = selectors.alarm_rows(freshness=evaluation, silences=silences, alarm_id=alarm_id)
    return render(
        request,
        "ops/alarm.html",
        {
            "active": "ops",
            "alarm": definition,
            "row": rows[0] if rows else None,
            "runbooks": runbooks.alarm_runbooks(alarm_id),
            "history": selectors.alarm_history(alarm_id=alarm_id),
            "incidents": selectors.alarm_incidents(alarm_id=alarm_id),
            "evaluation": evaluation,
            "silences": silences,
        },
    )


@oncall
@require_GET
def incidents_page(request: HttpRequest) -> HttpResponse:
    form = IncidentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    days = filters.get("within_days")
    incidents = selectors.incidents_filtered(
        state=filters.get("state", ""),
        alarm_id=filters.get("alarm", ""),
        severity=filters.get("severity", ""),
        opened_since=timezone.now() - timedelta(days=int(days)) if days else None,
    )
    page = Paginator(incidents, INCIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "ops/incidents.html",
        {
            "active": "ops",
            "form": form,
            "page": page,
            "incidents": page.object_list,
            "alarms": ALARMS_BY_ID,
            "query": query.urlencode(),
        },
    )


@oncall
def incident_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(Incident, pk=pk)
    if request.method == "POST":
        return _incident_action(request, incident)
    return _incident_page(request, incident, NoteForm())


def _incident_page(
    request: HttpRequest, incident: Incident, note_form: NoteForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "ops/incident.html",
        {
            "active": "ops",
            "incident": incident,
            "alarm": ALARMS_BY_ID.get(incident.alarm_id),
            "runbooks": runbooks.alarm_runbooks(incident.alarm_id),
            "events": incident.events.select_related("by"),
            "note_form": note_form,
        },
        status=status,
    )


def _incident_action(request: AuthenticatedHttpRequest, incident: Incident) -> HttpResponse:
    action = request.POST.get("action")
    if action in {"note", "resolve"}:
        note_form = NoteForm(request.POST)
        # An empty resolution text is fine; a too-long one is shown beside the box.
        if not note_form.is_valid() and note_form.has_error("text", "max_length"):
            return _incident_page(request, incident, note_form, status=400)
    try:
        if action == "ack":
            services.incident_acknowledge(incident=incident, user=request.user)
        elif action == "note":
            services.incident_note_add(
                incident=incident, user=request.user, text=request.POST.get("text", "")
            )
        elif action == "resolve":
            services.incident_resolve(
                incident=incident, user=request.user, text=request.POST.get("text", "")
            )
        else:
            messages.error(request, f"Unknown action {action!r}.")
    except services.ActionRefused as exc:
        messages.error(request, str(exc).capitalize() + ".")
    return redirect("ops:incident", pk=incident.pk)


@oncall
@require_GET
def runbooks_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    found = runbooks.runbooks_search(query) if query else runbooks.runbooks_all()
    return render(
        request, "ops/runbooks.html", {"active": "ops", "runbooks": found, "query": query}
    )


@oncall
@require_GET
def runbook_page(request: HttpRequest, slug: str) -> HttpResponse:
    runbook = runbooks.runbook_get(slug)
    if runbook is None:
        raise Http404(f"no runbook named {slug}")
    return render(
        request,
        "ops/runbook.html",
        {
            "active": "ops",
            "runbook": runbook,
            # runbook_html sanitises: the only HTML we mark safe.
            "html": mark_safe(runbooks.runbook_html(runbook)),  # noqa: S308
            "alarms": [ALARMS_BY_ID[a] for a in runbook.alarms if a in ALARMS_BY_ID],
        },
    )
