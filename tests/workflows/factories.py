"""Factories for the engine's rows, for tests that need history without running anything."""

import factory
from django.utils import timezone

from workflows.enums import DagRunState, DagRunType, TaskState, TryState
from workflows.models import DagRecord, DagRun, TaskInstance, TaskTry


class DagRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DagRecord
        django_get_or_create = ("dag_id",)

    dag_id = factory.Sequence(lambda n: f"dag_{n}")


class DagRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DagRun

    dag = factory.SubFactory(DagRecordFactory)
    run_type = DagRunType.MANUAL
    state = DagRunState.SUCCESS
    logical_date = factory.Sequence(lambda n: timezone.now() - timezone.timedelta(hours=n + 1))
    run_id = factory.LazyAttribute(lambda r: f"manual__{r.logical_date.isoformat()}")
    data_interval_start = factory.LazyAttribute(lambda r: r.logical_date)
    data_interval_end = factory.LazyAttribute(lambda r: r.logical_date)


class TaskInstanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskInstance

    run = factory.SubFactory(DagRunFactory)
    task_id = factory.Sequence(lambda n: f"task_{n}")
    state = TaskState.SUCCESS
    try_number = 1
    executor = "local"


class TaskTryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskTry

    task_instance = factory.SubFactory(TaskInstanceFactory)
    try_number = 1
    state = TryState.SUCCESS
    executor = "local"
    queued_at = factory.LazyFunction(timezone.now)
    started_at = factory.LazyFunction(timezone.now)
    ended_at = factory.LazyFunction(timezone.now)
    log = "hello from the task\n"
