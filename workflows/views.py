"""The staff UI: DAGs, their runs as a grid, triggering, clearing and the log of each try.

Each page asks for the engine's model permissions (see `models.py`): view_dagrun to read, and
trigger_dagrun, pause_dagrecord, clear_taskinstance or mark_taskinstance to act, so that a project
decides who holds them with its own groups; superusers hold them all. Anonymous visitors are sent
to log in, and signed-in users without the permission get 403.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from workflows import queries, services
from workflows.conf import workflows_settings
from workflows.dagbag import get_dagbag
from workflows.enums import DagRunState
from workflows.errors import DagNotFound, InvalidParams, WorkflowError
from workflows.forms import ClearForm, MarkForm, PauseForm, TriggerForm
from workflows.models import DagRun, TaskInstance
from workflows.sdk import DAG
from workflows.timetables import describe_schedule

View = Callable[..., HttpResponse]

VIEW_RUNS = "workflows.view_dagrun"
TRIGGER = "workflows.trigger_dagrun"
PAUSE = "workflows.pause_dagrecord"
CLEAR = "workflows.clear_taskinstance"
MARK = "workflows.mark_taskinstance"


def _requires(*perms: str) -> Callable[[View], View]:
    """Anonymous visitors are sent to log in; signed-in users without every one of `perms` get 403."""

    def decorate(view: View) -> View:
        return login_required(permission_required(perms, raise_exception=True)(view))

    return decorate


def _render(request: HttpRequest, template: str, context: dict[str, object], status: int = 200) -> HttpResponse:
    # The pages extend the base template the project names, so they sit inside its layout.
    context = {"workflows_base_template": workflows_settings.BASE_TEMPLATE, **context}
    return render(request, template, context, status=status)


def _dag_or_404(dag_id: str) -> DAG:
    try:
        return get_dagbag().get(dag_id)
    except DagNotFound as exc:
        raise Http404(str(exc)) from exc


@_requires(VIEW_RUNS)
def dag_list(request: HttpRequest) -> HttpResponse:
    bag = get_dagbag()
    dag_ids = sorted(bag.dags)
    records = queries.dag_records_by_id(dag_ids)
    recent = queries.recent_run_states(dag_ids)
    waiting = queries.next_scheduled_manual_runs(dag_ids)
    rows = [
        {
            "dag": bag.dags[dag_id],
            "record": records.get(dag_id),
            "waiting": waiting.get(dag_id),
            "schedule": describe_schedule(bag.dags[dag_id].schedule or ""),
            "runs": recent.get(dag_id, []),
        }
        for dag_id in dag_ids
    ]
    context = {"rows": rows, "import_errors": bag.import_errors, "cron_zone": _cron_zone()}
    return _render(request, "workflows/dag_list.html", context)


def _cron_zone() -> str:
    """The zone cron lines are read in, named beside each one: the viewer's own zone may differ."""
    return str(workflows_settings.TIME_ZONE)


def _grid_context(dag: DAG) -> dict[str, object]:
    grid = queries.grid_for_dag(dag.dag_id, dag.topological_task_ids())
    # A run scheduled for later does not make the page poll until its moment.
    active = any(
        run.state == DagRunState.RUNNING or (run.state == DagRunState.QUEUED and not run.is_waiting)
        for run in grid.runs
    )
    return {"dag": dag, "grid": grid, "active": active}


@_requires(VIEW_RUNS)
def dag_detail(request: HttpRequest, dag_id: str) -> HttpResponse:
    dag = _dag_or_404(dag_id)
    record = queries.dag_records_by_id([dag_id]).get(dag_id)
    context = {
        **_grid_context(dag),
        "record": record,
        "schedule": describe_schedule(dag.schedule or ""),
        "cron_zone": _cron_zone(),
        "trigger_form": TriggerForm(dag=dag),
    }
    return _render(request, "workflows/dag_detail.html", context)


@_requires(VIEW_RUNS)
def dag_grid(request: HttpRequest, dag_id: str) -> HttpResponse:
    """The grid alone, polled by htmx while runs are active."""
    return _render(request, "workflows/_grid.html", _grid_context(_dag_or_404(dag_id)))


@_requires(VIEW_RUNS, TRIGGER)
def trigger(request: HttpRequest, dag_id: str) -> HttpResponse:
    dag = _dag_or_404(dag_id)
    form = TriggerForm(request.POST or None, dag=dag)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.trigger_dag(dag=dag, params=form.params(), triggered_by=request.user)
        except InvalidParams as exc:
            for name, message in exc.errors.items():
                form.add_error(name if name in form.fields else None, message)
        except WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Triggered {dag_id}: {run.run_id}.")
            return redirect("workflows:dag_detail", dag_id=dag_id)
    status = 400 if request.method == "POST" else 200
    return _render(request, "workflows/trigger.html", {"dag": dag, "form": form}, status=status)


@_requires(VIEW_RUNS, PAUSE)
@require_POST
def set_paused(request: HttpRequest, dag_id: str) -> HttpResponse:
    dag = _dag_or_404(dag_id)
    form = PauseForm(request.POST)
    form.is_valid()
    paused = bool(form.cleaned_data.get("paused"))
    services.set_dag_paused(dag=dag, paused=paused)
    messages.success(request, f"{dag_id} is {'paused' if paused else 'active'}.")
    if request.POST.get("next") == "detail":
        return redirect("workflows:dag_detail", dag_id=dag_id)
    return redirect("workflows:dag_list")


@_requires(VIEW_RUNS)
def task_instance(request: HttpRequest, dag_id: str, run_pk: int, task_id: str) -> HttpResponse:
    dag = _dag_or_404(dag_id)
    try:
        try_number = int(request.GET.get("try", "") or 0) or None
    except ValueError:
        try_number = None
    try:
        ti, attempt = queries.task_try(dag_id=dag_id, run_pk=run_pk, task_id=task_id, try_number=try_number)
    except TaskInstance.DoesNotExist as exc:
        raise Http404("No such task in this run.") from exc
    context = {
        "dag": dag,
        "ti": ti,
        "run": ti.run,
        "attempt": attempt,
        "tries": list(ti.tries.only("try_number", "state", "task_instance_id")),
        "clear_form": ClearForm(),
        "mark_form": MarkForm(prefix="mark"),
        "task": dag.tasks.get(task_id),
    }
    return _render(request, "workflows/task_instance.html", context)


@_requires(VIEW_RUNS, CLEAR)
@require_POST
def clear(request: HttpRequest, dag_id: str, run_pk: int, task_id: str) -> HttpResponse:
    dag = _dag_or_404(dag_id)
    run = get_object_or_404(DagRun, pk=run_pk, dag__dag_id=dag_id)
    form = ClearForm(request.POST)
    form.is_valid()
    try:
        cleared = services.clear_task_instances(
            run=run, dag=dag, task_ids=[task_id], downstream=bool(form.cleaned_data.get("downstream"))
        )
    except WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Cleared {', '.join(cleared)}; they will run again.")
    return redirect("workflows:task_instance", dag_id=dag_id, run_pk=run_pk, task_id=task_id)


@_requires(VIEW_RUNS, MARK)
@require_POST
def mark(request: HttpRequest, dag_id: str, run_pk: int, task_id: str) -> HttpResponse:
    dag = _dag_or_404(dag_id)
    run = get_object_or_404(DagRun, pk=run_pk, dag__dag_id=dag_id)
    form = MarkForm(request.POST, prefix="mark")
    if not form.is_valid():
        messages.error(request, "Choose whether to mark the task success or failed.")
    else:
        state = form.cleaned_data["state"]
        try:
            marked = services.mark_task_instances(
                run=run, dag=dag, task_ids=[task_id], state=state, downstream=form.cleaned_data["downstream"]
            )
        except WorkflowError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Marked {', '.join(marked)} {state}.")
    return redirect("workflows:task_instance", dag_id=dag_id, run_pk=run_pk, task_id=task_id)
