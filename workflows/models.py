"""What the engine persists: DAGs as seen in code, their runs, task instances, tries and waits.

Invariants the database holds: one run per (DAG, logical date) and per (DAG, run id), one task
instance per (run, task id), one try per (task instance, try number).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from workflows.enums import DagRunState, DagRunType, TaskState, TryState


class DagRecord(models.Model):
    """A DAG found in code, with what the database must remember about it (paused, next run)."""

    dag_id = models.CharField(max_length=250, unique=True)
    description = models.TextField(blank=True)
    fileloc = models.CharField("module", max_length=250, blank=True)
    schedule = models.CharField(max_length=120, blank=True)
    tags = models.JSONField(default=list, blank=True)
    is_paused = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True, help_text="Found in code at the last load.")
    last_parsed_at = models.DateTimeField(null=True, blank=True)
    next_dagrun = models.DateTimeField(
        null=True, blank=True, help_text="Logical date (data interval start) of the next scheduled run."
    )
    next_dagrun_create_after = models.DateTimeField(
        null=True, blank=True, help_text="When the next scheduled run is due (its data interval end)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dag_id"]
        verbose_name = "DAG"
        permissions = [("pause_dagrecord", "Can pause and unpause a DAG")]

    def __str__(self) -> str:
        return self.dag_id

    def get_absolute_url(self) -> str:
        return reverse("workflows:dag_detail", args=[self.dag_id])


class DagRun(models.Model):
    dag = models.ForeignKey(DagRecord, on_delete=models.CASCADE, related_name="runs")
    run_id = models.CharField(max_length=250)
    run_type = models.CharField(max_length=16, choices=DagRunType.choices)
    state = models.CharField(max_length=16, choices=DagRunState.choices, default=DagRunState.QUEUED)
    logical_date = models.DateTimeField()
    data_interval_start = models.DateTimeField()
    data_interval_end = models.DateTimeField()
    params = models.JSONField(default=dict, blank=True)
    run_after = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A queued run does not start before this moment (a manual run scheduled for later).",
    )
    note = models.TextField(blank=True, help_text="Why the run ended as it did when no task says it (cancelled).")
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    start_date = models.DateTimeField(null=True, blank=True)
    end_date = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-logical_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dag", "logical_date"], name="workflows_dagrun_unique_logical_date"),
            models.UniqueConstraint(fields=["dag", "run_id"], name="workflows_dagrun_unique_run_id"),
        ]
        indexes = [models.Index(fields=["state", "dag"], name="workflows_dagrun_state")]
        # Django's own view_dagrun covers reading runs, their tasks and the log of each try.
        permissions = [("trigger_dagrun", "Can trigger a run of a DAG")]

    def __str__(self) -> str:
        return f"{self.dag.dag_id} {self.run_id}"

    @property
    def is_waiting(self) -> bool:
        """Queued, never started, and deferred to a moment still ahead: it can be moved or cancelled."""
        return (
            self.state == DagRunState.QUEUED
            and self.start_date is None
            and self.run_after is not None
            and self.run_after > timezone.now()
        )

    @property
    def duration(self) -> float | None:
        if self.start_date and self.end_date:
            return (self.end_date - self.start_date).total_seconds()
        return None


class TaskInstance(models.Model):
    run = models.ForeignKey(DagRun, on_delete=models.CASCADE, related_name="task_instances")
    task_id = models.CharField(max_length=250)
    state = models.CharField(max_length=20, choices=TaskState.choices, default=TaskState.NONE)
    try_number = models.PositiveIntegerField(default=0, help_text="Number of the latest try (0: never queued).")
    max_tries = models.PositiveIntegerField(
        default=0, help_text="The try number up to which a failure is retried (retries, raised on clear)."
    )
    executor = models.CharField(max_length=250, blank=True)
    queue = models.CharField(max_length=120, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    start_date = models.DateTimeField(null=True, blank=True)
    end_date = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    next_method = models.CharField(max_length=120, blank=True, help_text="Method to resume after a deferral.")
    next_kwargs = models.JSONField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["run", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "task_id"], name="workflows_ti_unique_task")]
        indexes = [models.Index(fields=["state", "run"], name="workflows_ti_state")]
        permissions = [
            ("clear_taskinstance", "Can clear a task so that it runs again"),
            ("mark_taskinstance", "Can mark a task success or failed"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} in {self.run_id}"

    @property
    def duration(self) -> float | None:
        if self.start_date and self.end_date:
            return (self.end_date - self.start_date).total_seconds()
        return None


class SchedulerJob(models.Model):
    """One scheduler process: tries it queued name it, so that another can adopt them if it dies."""

    hostname = models.CharField(max_length=250)
    pid = models.PositiveIntegerField()
    executors = models.JSONField(default=list)
    started_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"scheduler {self.pk} on {self.hostname} (pid {self.pid})"


class TaskTry(models.Model):
    """One attempt at a task instance, with its own log and outcome."""

    task_instance = models.ForeignKey(TaskInstance, on_delete=models.CASCADE, related_name="tries")
    try_number = models.PositiveIntegerField()
    state = models.CharField(max_length=20, choices=TryState.choices, default=TryState.QUEUED)
    executor = models.CharField(max_length=250)
    queue = models.CharField(max_length=120, blank=True)
    external_id = models.CharField(
        max_length=250, blank=True, help_text="The executor's own name for this try (Celery task id, pod name)."
    )
    scheduler = models.ForeignKey(SchedulerJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    hostname = models.CharField(max_length=250, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    timeout_at = models.DateTimeField(null=True, blank=True, help_text="When execution_timeout passes.")
    exit_code = models.IntegerField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why the try ended as it did, e.g. OOMKilled.")
    log = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["task_instance", "try_number"]
        constraints = [
            models.UniqueConstraint(fields=["task_instance", "try_number"], name="workflows_try_unique_number")
        ]
        indexes = [models.Index(fields=["state", "executor"], name="workflows_try_state")]

    def __str__(self) -> str:
        return f"try {self.try_number} of {self.task_instance}"

    @property
    def duration(self) -> float | None:
        if self.started_at and self.ended_at:
            return (self.ended_at - self.started_at).total_seconds()
        return None


class Trigger(models.Model):
    """A deferred wait (a running pod, a Job, a time): the triggerer runs it, not a worker."""

    classpath = models.CharField(max_length=250)
    kwargs = models.JSONField(default=dict)
    task_instance = models.OneToOneField(
        TaskInstance, null=True, blank=True, on_delete=models.CASCADE, related_name="trigger"
    )
    triggerer_id = models.CharField(max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    timeout_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.classpath} for {self.task_instance_id}"
