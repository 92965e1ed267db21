"""Back-office views of the engine's rows. State changes go through the staff UI and services."""

from django.contrib import admin

from workflows.models import DagRecord, DagRun, SchedulerJob, TaskInstance, TaskTry, Trigger


@admin.register(DagRecord)
class DagRecordAdmin(admin.ModelAdmin):
    list_display = ["dag_id", "schedule", "is_paused", "is_active", "next_dagrun_create_after", "last_parsed_at"]
    list_filter = ["is_paused", "is_active"]
    search_fields = ["dag_id", "description"]
    readonly_fields = ["dag_id", "fileloc", "schedule", "tags", "last_parsed_at", "created_at"]


TASK_INSTANCE_COLUMNS = ("task_id", "state", "try_number", "executor", "start_date", "end_date")


class TaskInstanceInline(admin.TabularInline):
    model = TaskInstance
    fields = TASK_INSTANCE_COLUMNS
    readonly_fields = TASK_INSTANCE_COLUMNS
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(DagRun)
class DagRunAdmin(admin.ModelAdmin):
    list_display = ["run_id", "dag", "run_type", "state", "logical_date", "start_date", "end_date"]
    list_filter = ["state", "run_type", "dag"]
    search_fields = ["run_id", "dag__dag_id"]
    list_select_related = ["dag"]
    readonly_fields = [
        "dag",
        "run_id",
        "run_type",
        "logical_date",
        "data_interval_start",
        "data_interval_end",
        "params",
        "triggered_by",
        "created_at",
        "start_date",
        "end_date",
    ]
    inlines = [TaskInstanceInline]


TASK_TRY_FIELDS = (
    "try_number",
    "state",
    "executor",
    "external_id",
    "hostname",
    "pid",
    "queued_at",
    "started_at",
    "ended_at",
    "exit_code",
    "reason",
    "log",
)


class TaskTryInline(admin.StackedInline):
    model = TaskTry
    fields = TASK_TRY_FIELDS
    readonly_fields = TASK_TRY_FIELDS
    extra = 0
    can_delete = False


@admin.register(TaskInstance)
class TaskInstanceAdmin(admin.ModelAdmin):
    list_display = ["task_id", "run", "state", "try_number", "executor", "end_date"]
    list_filter = ["state", "executor"]
    search_fields = ["task_id", "run__run_id", "run__dag__dag_id"]
    list_select_related = ["run__dag"]
    readonly_fields = ["run", "task_id", "try_number", "executor", "queue", "result", "start_date", "end_date"]
    inlines = [TaskTryInline]


@admin.register(SchedulerJob)
class SchedulerJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "hostname", "pid", "executors", "started_at", "heartbeat_at", "ended_at"]


@admin.register(Trigger)
class TriggerAdmin(admin.ModelAdmin):
    list_display = ["classpath", "task_instance", "triggerer_id", "created_at", "timeout_at"]
