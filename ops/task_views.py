"""The ops pages' operations: start a replay, rebuild or redrive (forms, on-call
only), and the recent runs that follow them live (``ops.task_runs``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import AuthenticatedHttpRequest, Role, role_required
from lib.aws import AwsUnavailable
from lib.redirects import next_url
from ops import selectors, services
from ops.forms import RebuildForm, RedriveForm, ReplayForm
from ops.live import task_run_rows
from ops.models import OpsTaskRun, RunStatus, TaskKind
from ops.task_runs import RunRefused, task_run_start, task_runs_lose

oncall = role_required(Role.ONCALL)  # admins hold every role


@oncall
@require_POST
def dlq_redrive(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The redrive form beside the DLQ (intake and feed pages): starts a run on the
    worker and goes back to the page, where the run's row follows it live."""
    form = RedriveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Type redrive to confirm.")
    else:
        _task_start(request, kind=TaskKind.REDRIVE, params=form.params())
    return redirect(next_url(request, default="ops:health"))


TASK_FORMS: dict[str, type[ReplayForm | RebuildForm | RedriveForm]] = {
    TaskKind.REPLAY: ReplayForm,
    TaskKind.REBUILD: RebuildForm,
    TaskKind.REDRIVE: RedriveForm,
}


@oncall
@require_GET
def tasks_page(request: HttpRequest) -> HttpResponse:
    return _tasks_page(request, forms={})


@oncall
@require_POST
def task_start(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    """Start a replay, rebuild or redrive; a form with a bad value comes back with the
    value explained (400), not a server error."""
    form_class = TASK_FORMS.get(kind)
    if form_class is None:
        raise Http404(f"no operation {kind}")
    form = form_class(request.POST)
    if not form.is_valid():
        return _tasks_page(request, forms={kind: form}, status=400)
    run = _task_start(request, kind=kind, params=form.params())
    url = reverse("ops:tasks")
    return redirect(f"{url}#run-{run.pk}" if run else url)


def _task_start(
    request: AuthenticatedHttpRequest, *, kind: str, params: dict[str, Any]
) -> OpsTaskRun | None:
    try:
        run = task_run_start(kind=kind, params=params, user=request.user)
    except RunRefused as exc:
        messages.error(request, str(exc))
        return None
    if run.status == RunStatus.FAILED:  # the broker did not take it
        messages.error(request, f"Run #{run.pk} did not start. {run.error}")
    else:
        messages.success(request, f"Started run #{run.pk}: {TaskKind(run.kind).label}.")
    return run


def _tasks_page(request: HttpRequest, *, forms: dict[str, Any], status: int = 200) -> HttpResponse:
    try:
        dlq: int | None = services.dlq_depth()
    except AwsUnavailable:
        dlq = None
    return render(
        request,
        "ops/tasks.html",
        {
            "active": "ops",
            "replay_form": forms.get(TaskKind.REPLAY) or ReplayForm(),
            "rebuild_form": forms.get(TaskKind.REBUILD) or RebuildForm(),
            "redrive_form": forms.get(TaskKind.REDRIVE) or RedriveForm(),
            "dlq_depth": dlq,
            **task_runs_context(),
        },
        status=status,
    )


def task_runs_context() -> dict[str, Any]:
    task_runs_lose()  # the list never shows a dead worker's run as running
    return {
        "task_runs": task_run_rows(selectors.recent_task_runs()),
        "stale_s": settings.FRGM_OPS_TASK_STALE_S,
    }
