"""Demo data: one finished housekeeping run, so the workflows UI has something to show."""

from __future__ import annotations

from typing import Any

from workflows import services
from workflows.dagbag import get_dagbag
from workflows.models import DagRun


def seed(*, members: list[Any], builder: Any) -> str:
    bag = get_dagbag()
    services.sync_dag_records(bag=bag)
    dag = bag.dags.get("workflows_housekeeping")
    if dag is None:
        return "workflows: housekeeping DAG not loaded"
    if DagRun.objects.filter(dag__dag_id=dag.dag_id).exists():
        return f"workflows: {len(bag.dags)} DAG(s); demo run already there"
    run = services.trigger_dag(dag=dag, params={"dry_run": True}, triggered_by=builder)
    return f"workflows: {len(bag.dags)} DAG(s); triggered {run.run_id} (the scheduler runs it)"
