"""`python manage.py workflows …`: the engine's command line, with Airflow's verbs."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from workflows import queries, services
from workflows.dagbag import get_dagbag
from workflows.errors import InvalidParams, WorkflowError
from workflows.models import DagRun
from workflows.runner import dry_run_task
from workflows.timetables import describe_schedule


def _parse_params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CommandError(f"--param takes key=value, not {pair!r}")
        params[key] = value
    return params


class Command(BaseCommand):
    help = "List, trigger, inspect, clear, mark, test, pause and unpause DAGs."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="action")
        sub.add_parser("list", help="DAGs with schedules, paused flags and import errors")
        trigger = sub.add_parser("trigger", help="start a manual run")
        trigger.add_argument("dag_id")
        trigger.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
        runs = sub.add_parser("runs", help="the latest runs of a DAG")
        runs.add_argument("dag_id")
        runs.add_argument("--limit", type=int, default=20)
        clear = sub.add_parser("clear", help="re-run a task of a run")
        clear.add_argument("dag_id")
        clear.add_argument("run_id", help="run id as shown by `workflows runs`")
        clear.add_argument("task_id")
        clear.add_argument("--downstream", action="store_true", help="also re-run every task downstream")
        mark = sub.add_parser("mark", help="set a task of a run to success or failed without running it")
        mark.add_argument("dag_id")
        mark.add_argument("run_id", help="run id as shown by `workflows runs`")
        mark.add_argument("task_id")
        mark.add_argument("--state", required=True, choices=["success", "failed"])
        mark.add_argument("--downstream", action="store_true", help="also mark every task downstream")
        test = sub.add_parser("test", help="run one task in this process, without the scheduler")
        test.add_argument("dag_id")
        test.add_argument("task_id")
        test.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
        for verb in ("pause", "unpause"):
            sub.add_parser(verb, help=f"{verb} a DAG's schedule").add_argument("dag_id")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"do_{action}")(**options)
        except InvalidParams as exc:
            raise CommandError(f"invalid params: {exc}") from exc
        except WorkflowError as exc:
            raise CommandError(str(exc)) from exc

    def do_list(self, **options: Any) -> None:
        bag = get_dagbag()
        records = queries.dag_records_by_id(list(bag.dags))
        for dag_id, dag in sorted(bag.dags.items()):
            record = records.get(dag_id)
            paused = "paused" if record and record.is_paused else "active"
            next_run = (
                record.next_dagrun_create_after.isoformat() if record and record.next_dagrun_create_after else "-"
            )
            self.stdout.write(f"{dag_id}\t{paused}\t{describe_schedule(dag.schedule or '')}\tnext: {next_run}")
        if not bag.dags:
            self.stdout.write("no DAGs found")
        for failure in bag.import_errors:
            self.stderr.write(f"import error in {failure.module}: {failure.message}")
            if failure.traceback:
                self.stderr.write(failure.traceback)

    def do_trigger(self, *, dag_id: str, param: list[str], **options: Any) -> None:
        dag = get_dagbag().get(dag_id)
        run = services.trigger_dag(dag=dag, params=_parse_params(param))
        self.stdout.write(f"triggered {dag_id}: {run.run_id} with params {json.dumps(run.params)}")

    def do_runs(self, *, dag_id: str, limit: int, **options: Any) -> None:
        get_dagbag().get(dag_id)
        for run in queries.runs_for_dag(dag_id)[:limit]:
            took = f"{run.duration:.1f} s" if run.duration is not None else "-"
            self.stdout.write(f"{run.run_id}\t{run.state}\t{run.run_type}\t{took}")

    def do_clear(self, *, dag_id: str, run_id: str, task_id: str, downstream: bool, **options: Any) -> None:
        dag = get_dagbag().get(dag_id)
        run = DagRun.objects.filter(dag__dag_id=dag_id, run_id=run_id).first()
        if run is None:
            raise CommandError(f"DAG {dag_id!r} has no run {run_id!r}; see `manage.py workflows runs {dag_id}`")
        cleared = services.clear_task_instances(run=run, dag=dag, task_ids=[task_id], downstream=downstream)
        self.stdout.write(f"cleared {', '.join(cleared)} in {run_id}")

    def do_mark(self, *, dag_id: str, run_id: str, task_id: str, state: str, downstream: bool, **options: Any) -> None:
        dag = get_dagbag().get(dag_id)
        run = DagRun.objects.filter(dag__dag_id=dag_id, run_id=run_id).first()
        if run is None:
            raise CommandError(f"DAG {dag_id!r} has no run {run_id!r}; see `manage.py workflows runs {dag_id}`")
        marked = services.mark_task_instances(run=run, dag=dag, task_ids=[task_id], state=state, downstream=downstream)
        self.stdout.write(f"marked {', '.join(marked)} {state} in {run_id}")

    def do_test(self, *, dag_id: str, task_id: str, param: list[str], **options: Any) -> None:
        started = timezone.now()
        result = dry_run_task(dag_id=dag_id, task_id=task_id, params=_parse_params(param))
        took = (timezone.now() - started).total_seconds()
        self.stdout.write(f"{dag_id}.{task_id} succeeded in {took:.2f} s; result: {json.dumps(result)}")

    def do_pause(self, *, dag_id: str, **options: Any) -> None:
        services.set_dag_paused(dag=get_dagbag().get(dag_id), paused=True)
        self.stdout.write(f"{dag_id} paused")

    def do_unpause(self, *, dag_id: str, **options: Any) -> None:
        services.set_dag_paused(dag=get_dagbag().get(dag_id), paused=False)
        self.stdout.write(f"{dag_id} unpaused")
