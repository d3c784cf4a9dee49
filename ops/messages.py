"""The channel-layer message of an ops task run, defined once.

Publisher (``ops.task_runs``, in the worker or a ``manage.py`` process) and
consumer (``ops.consumers.OpsTasksConsumer``) share it.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

# Every on-call page that shows runs joins this one group: a handful of people
# watch, and whoever started a run sees it on the page they started it from.
OPS_TASKS_GROUP = "ops.tasks"


class OpsTaskUpdate(TypedDict):
    """A run's state after a change: started, progressed, finished, failed or lost."""

    type: Literal["ops.task"]
    run: int
    kind: str
    status: str
    done: int
    total: int | None
    counts: dict[str, int]
    result: str
    error: str
    params: dict[str, Any]
    started_by: str
    created_at: str
    finished_at: str | None
