"""The states and kinds the engine stores. Values are Apache Airflow's words, on purpose."""

from django.db import models

from workflows import graph


class DagRunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"
    # A run stopped before it started. Not "failed": nothing went wrong, and alerting or counting
    # failures must not see a builder's change of plan.
    CANCELLED = "cancelled", "Cancelled"


class DagRunType(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    MANUAL = "manual", "Manual"


class TaskState(models.TextChoices):
    NONE = graph.NONE, "No status"
    SCHEDULED = graph.SCHEDULED, "Scheduled"
    QUEUED = graph.QUEUED, "Queued"
    RUNNING = graph.RUNNING, "Running"
    SUCCESS = graph.SUCCESS, "Success"
    FAILED = graph.FAILED, "Failed"
    UP_FOR_RETRY = graph.UP_FOR_RETRY, "Up for retry"
    UPSTREAM_FAILED = graph.UPSTREAM_FAILED, "Upstream failed"
    SKIPPED = graph.SKIPPED, "Skipped"
    DEFERRED = graph.DEFERRED, "Deferred"


class TryState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    DEFERRED = "deferred", "Deferred"
    # The try never started (scheduler shut down or lost); it does not count against retries.
    HANDED_BACK = "handed_back", "Handed back"


ACTIVE_TRY_STATES = (TryState.QUEUED, TryState.RUNNING)
FINISHED_RUN_STATES = (DagRunState.SUCCESS, DagRunState.FAILED, DagRunState.CANCELLED)
