"""What the executor reads from the engine's tables, read-only, to clean up after a scheduler that is gone.

The executor never changes the engine's rows itself: what it learns goes back as events.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.utils import timezone

from workflows.conf import workflows_settings
from workflows.enums import TryState
from workflows.models import SchedulerJob, TaskTry

TryKey = tuple[int, int]


def gone_scheduler_ids(scheduler_ids: Iterable[str]) -> set[str]:
    """Those of the given scheduler ids (as found in pod labels) whose scheduler is no longer alive.

    Gone means: ended, silent for longer than WORKFLOWS_ZOMBIE_THRESHOLD, unknown to the database,
    or not a scheduler id at all (a pod launched outside a scheduler).
    """
    ids = set(scheduler_ids)
    numeric = {int(value) for value in ids if value.isdigit()}
    cutoff = timezone.now() - timedelta(seconds=workflows_settings.ZOMBIE_THRESHOLD)
    alive = {
        str(pk)
        for pk in SchedulerJob.objects.filter(
            pk__in=numeric, ended_at__isnull=True, heartbeat_at__gte=cutoff
        ).values_list("pk", flat=True)
    }
    return ids - alive


def unfinished_tries(keys: Iterable[TryKey]) -> set[TryKey]:
    """Those of the given tries that are still queued or running (the others ended or do not exist)."""
    wanted = set(keys)
    if not wanted:
        return set()
    rows = TaskTry.objects.filter(
        task_instance_id__in={ti for ti, _ in wanted}, state__in=[TryState.QUEUED, TryState.RUNNING]
    ).values_list("task_instance_id", "try_number")
    return {(ti, number) for ti, number in rows if (ti, number) in wanted}


def try_log_contains(key: TryKey, text: str) -> bool:
    """Whether the try's log already holds `text` (a pod log's header: it was copied before)."""
    return TaskTry.objects.filter(task_instance_id=key[0], try_number=key[1], log__contains=text).exists()
