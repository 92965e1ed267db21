"""The mentorship matching DAG with the Kubernetes executor enabled: the solve step runs in a pod of
its own with the resources of MENTORSHIP_SOLVE_RESOURCES, the other steps on the default executor."""

from __future__ import annotations

import importlib

import pytest
from django.test import override_settings

import mentorship.dags
from mentorship import services
from mentorship.enums import BatchStatus, MatchStatus
from mentorship.models import Match, MatchingRun
from tests.factories import BuilderFactory
from tests.mentorship.factories import BatchFactory, MenteeApplicationFactory, MentorApplicationFactory
from tests.workflows.kubernetes.support import run_scheduler
from tests.workflows.support import install_dags
from workflows.dagbag import reset_dagbag
from workflows.enums import DagRunState
from workflows.models import DagRun, TaskTry

pytestmark = [pytest.mark.kube, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def matching_dag(pods_reach_database, monkeypatch):
    """The mentorship DAG file as the engine imports it with these settings (Django set up, Kubernetes on)."""
    pods_reach_database.WORKFLOWS_EXECUTORS = ["local", "kubernetes"]
    pods_reach_database.MENTORSHIP_SOLVE_RESOURCES = {"requests": {"cpu": "500m"}}
    dag = importlib.reload(mentorship.dags).mentor_matching
    install_dags(monkeypatch, dag)
    yield dag
    with override_settings(WORKFLOWS_EXECUTORS=["local"]):
        importlib.reload(mentorship.dags)  # later tests see the DAG file as built without Kubernetes
    reset_dagbag()


def test_solve_step_runs_in_its_own_pod_with_the_configured_resources(matching_dag, node_agent, sent_pods) -> None:
    builder = BuilderFactory()
    batch = BatchFactory(status=BatchStatus.CLOSED)
    mentor = MentorApplicationFactory(batch=batch)
    mentee = MenteeApplicationFactory(batch=batch)

    run = services.schedule_matching_run(batch=batch, by=builder)
    run_scheduler(
        None,
        lambda: DagRun.objects.filter(pk=run.dag_run_id, state__in=[DagRunState.SUCCESS, DagRunState.FAILED]).exists(),
        executors=["local", "kubernetes"],
    )

    run.refresh_from_db()
    tries = {t.task_instance.task_id: t for t in TaskTry.objects.select_related("task_instance")}
    assert run.state == MatchingRun.State.SUCCEEDED, [(t.reason, t.log[-2000:]) for t in tries.values()]
    assert {task_id: t.executor for task_id, t in tries.items()} == {
        "freeze_applications": "local",
        "solve": "kubernetes",
        "store_proposals": "local",
        "tell_builders": "local",
        "record_outcome": "local",
    }
    (pod,) = sent_pods
    base = next(c for c in pod["spec"]["containers"] if c["name"] == "base")
    assert pod["metadata"]["labels"]["wicn/task-id"] == "solve"
    assert base["resources"] == {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}
    assert tries["solve"].external_id == pod["metadata"]["name"]
    assert list(
        Match.objects.filter(batch=batch).values_list("mentor_application", "mentee_application", "status")
    ) == [(mentor.pk, mentee.pk, MatchStatus.PROPOSED)]
