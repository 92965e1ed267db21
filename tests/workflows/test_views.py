"""The staff UI: builders only, the DAG list, the grid, triggering, clearing and the try log."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import BuilderFactory, UserFactory
from tests.workflows.factories import DagRunFactory, TaskInstanceFactory, TaskTryFactory
from tests.workflows.support import install_dags
from workflows import dagbag, services
from workflows.dagbag import DagBag, ImportFailure
from workflows.enums import DagRunState, TaskState
from workflows.models import DagRecord, DagRun, TaskInstance
from workflows.sdk import DAG, Param, task

pytestmark = pytest.mark.django_db


@task
def hello():
    print("hello")


def _dag(dag_id="greetings", **kwargs):
    with DAG(dag_id, params={"name": "world", "times": Param(1, minimum=1, maximum=5)}, **kwargs) as d:
        hello() >> hello()
    return d


@pytest.fixture
def greetings(monkeypatch):
    d = _dag()
    install_dags(monkeypatch, d)
    return d


@pytest.fixture
def finished_run(greetings):
    run = DagRunFactory(dag__dag_id="greetings", state=DagRunState.FAILED)
    ti = TaskInstanceFactory(run=run, task_id="hello", state=TaskState.FAILED)
    TaskTryFactory(task_instance=ti, state="failed", reason="OOMKilled (exit code 137)", log="line one\nline two\n")
    return run


def _pages(run):
    kwargs = {"dag_id": "greetings", "run_pk": run.pk, "task_id": "hello"}
    return [
        ("get", reverse("workflows:dag_list")),
        ("get", reverse("workflows:dag_detail", args=["greetings"])),
        ("get", reverse("workflows:dag_grid", args=["greetings"])),
        ("get", reverse("workflows:trigger", args=["greetings"])),
        ("post", reverse("workflows:trigger", args=["greetings"])),
        ("post", reverse("workflows:set_paused", args=["greetings"])),
        ("get", reverse("workflows:task_instance", kwargs=kwargs)),
        ("post", reverse("workflows:clear", kwargs=kwargs)),
        ("post", reverse("workflows:mark", kwargs=kwargs)),
    ]


def test_member_who_is_not_a_builder_gets_403_everywhere(client, finished_run):
    client.force_login(UserFactory())
    for method, url in _pages(finished_run):
        assert getattr(client, method)(url).status_code == 403, url
    assert DagRun.objects.count() == 1
    assert not DagRecord.objects.filter(is_paused=True).exists()


def test_anonymous_visitor_is_sent_to_log_in(client, finished_run):
    for method, url in _pages(finished_run):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_superuser_who_is_not_staff_opens_every_page(client, finished_run):
    client.force_login(UserFactory(is_superuser=True))
    for method, url in _pages(finished_run):
        assert getattr(client, method)(url).status_code in {200, 302, 400}, url


def _member_with(*codenames):
    member = UserFactory()
    member.user_permissions.set(Permission.objects.filter(content_type__app_label="workflows", codename__in=codenames))
    return member


def test_permission_to_view_runs_opens_the_pages_but_no_action(client, finished_run):
    client.force_login(_member_with("view_dagrun"))
    statuses = [(method, getattr(client, method)(url).status_code) for method, url in _pages(finished_run)]
    # Pages in the order of _pages: list, detail, grid, the trigger form (an action), then the task page.
    assert statuses == [
        ("get", 200),
        ("get", 200),
        ("get", 200),
        ("get", 403),
        ("post", 403),
        ("post", 403),
        ("get", 200),
        ("post", 403),
        ("post", 403),
    ]
    assert DagRun.objects.count() == 1


def test_each_action_needs_its_own_permission(client, finished_run):
    kwargs = {"dag_id": "greetings", "run_pk": finished_run.pk, "task_id": "hello"}
    client.force_login(_member_with("view_dagrun", "clear_taskinstance"))
    assert client.post(reverse("workflows:clear", kwargs=kwargs)).status_code == 302
    assert client.post(reverse("workflows:mark", kwargs=kwargs)).status_code == 403
    assert client.post(reverse("workflows:set_paused", args=["greetings"]), {"paused": "on"}).status_code == 403
    assert client.post(reverse("workflows:trigger", args=["greetings"]), {"name": "Ada"}).status_code == 403
    assert (TaskInstance.objects.get().state, DagRun.objects.count()) == (TaskState.NONE, 1)


def test_dag_list_shows_schedule_in_words_and_import_errors(client, monkeypatch):
    d = _dag(
        "nightly",
        schedule="30 3 * * *",
        start_date=datetime(2025, 1, 1, tzinfo=UTC),
    )
    failure = ImportFailure(
        "community.podcasts.dags", "NameError: name 'oops' is not defined", "Traceback (most recent call last):\n  ..."
    )
    monkeypatch.setattr(dagbag, "_cached", DagBag(dags={"nightly": d}, import_errors=[failure]))
    client.force_login(BuilderFactory())
    response = client.get(reverse("workflows:dag_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "At 03:30 AM" in html
    assert "community.podcasts.dags" in html
    assert "NameError: name &#x27;oops&#x27; is not defined" in html


@pytest.mark.parametrize("count", [1, 3])
def test_dag_list_queries_do_not_grow_with_dags(client, monkeypatch, django_assert_max_num_queries, count):
    dags = [_dag(f"dag_{i}") for i in range(count)]
    install_dags(monkeypatch, *dags)
    for d in dags:
        DagRunFactory.create_batch(2, dag__dag_id=d.dag_id)
    client.force_login(BuilderFactory())
    with django_assert_max_num_queries(8):  # 2 of them read the viewer's permissions
        assert client.get(reverse("workflows:dag_list")).status_code == 200


@pytest.mark.parametrize("count", [1, 3])
def test_dag_grid_queries_do_not_grow_with_runs(client, greetings, django_assert_max_num_queries, count):
    for run in DagRunFactory.create_batch(count, dag__dag_id="greetings"):
        TaskInstanceFactory(run=run, task_id="hello")
        TaskInstanceFactory(run=run, task_id="hello__2")
    client.force_login(BuilderFactory())
    with django_assert_max_num_queries(8):  # 2 of them read the viewer's permissions
        response = client.get(reverse("workflows:dag_detail", args=["greetings"]))
    assert response.content.decode().count('class="state state-success"') >= 2 * count


def test_grid_polls_only_while_runs_are_active(client, greetings):
    client.force_login(BuilderFactory())
    DagRunFactory(dag__dag_id="greetings", state=DagRunState.SUCCESS)
    assert "hx-trigger" not in client.get(reverse("workflows:dag_grid", args=["greetings"])).content.decode()
    DagRunFactory(dag__dag_id="greetings", state=DagRunState.RUNNING)
    assert 'hx-trigger="every 2s"' in client.get(reverse("workflows:dag_grid", args=["greetings"])).content.decode()


def test_trigger_form_starts_a_run_with_typed_params(client, greetings):
    builder = BuilderFactory()
    client.force_login(builder)
    response = client.post(reverse("workflows:trigger", args=["greetings"]), {"name": "Ada", "times": "3"})
    assert response.status_code == 302
    run = DagRun.objects.get()
    assert (run.params, run.triggered_by, run.state) == ({"name": "Ada", "times": 3}, builder, "queued")
    assert set(TaskInstance.objects.values_list("task_id", flat=True)) == {"hello", "hello__2"}


def test_trigger_form_with_bad_param_explains_and_creates_nothing(client, greetings):
    client.force_login(BuilderFactory())
    response = client.post(reverse("workflows:trigger", args=["greetings"]), {"name": "Ada", "times": "9"})
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 5." in response.content.decode()
    assert DagRun.objects.count() == 0


def test_unknown_dag_is_404(client):
    client.force_login(BuilderFactory())
    assert client.get(reverse("workflows:dag_detail", args=["nope"])).status_code == 404


def test_pause_toggle_pauses_and_unpauses(client, greetings):
    client.force_login(BuilderFactory())
    client.post(reverse("workflows:set_paused", args=["greetings"]), {"paused": "on"})
    assert DagRecord.objects.get(dag_id="greetings").is_paused is True
    client.post(reverse("workflows:set_paused", args=["greetings"]), {"paused": ""})
    assert DagRecord.objects.get(dag_id="greetings").is_paused is False


def test_task_page_shows_outcome_reason_and_full_log(client, finished_run):
    client.force_login(BuilderFactory())
    url = reverse(
        "workflows:task_instance", kwargs={"dag_id": "greetings", "run_pk": finished_run.pk, "task_id": "hello"}
    )
    html = client.get(url).content.decode()
    assert "OOMKilled (exit code 137)" in html
    assert "line one\nline two" in html


def test_clear_from_the_task_page_requeues_the_run(client, finished_run):
    client.force_login(BuilderFactory())
    kwargs = {"dag_id": "greetings", "run_pk": finished_run.pk, "task_id": "hello"}
    response = client.post(reverse("workflows:clear", kwargs=kwargs), {"downstream": "on"})
    assert response.status_code == 302
    finished_run.refresh_from_db()
    assert (finished_run.state, TaskInstance.objects.get(task_id="hello").state) == ("queued", "none")


def test_mark_success_from_the_task_page_queues_the_failed_run_for_the_task_downstream(client, finished_run):
    client.force_login(BuilderFactory())
    kwargs = {"dag_id": "greetings", "run_pk": finished_run.pk, "task_id": "hello"}
    page = client.get(reverse("workflows:task_instance", kwargs=kwargs)).content.decode()
    assert 'name="mark-state" value="failed"' in page

    response = client.post(reverse("workflows:mark", kwargs=kwargs), {"mark-state": "success"}, follow=True)

    finished_run.refresh_from_db()
    assert (finished_run.state, TaskInstance.objects.get(task_id="hello").state) == ("queued", "success")
    assert "Marked hello success." in response.content.decode()


def test_mark_with_no_state_or_a_running_task_says_why_and_changes_nothing(client, finished_run):
    client.force_login(BuilderFactory())
    kwargs = {"dag_id": "greetings", "run_pk": finished_run.pk, "task_id": "hello"}
    url = reverse("workflows:mark", kwargs=kwargs)

    assert "Choose whether to mark" in client.post(url, {"mark-state": "maybe"}, follow=True).content.decode()
    TaskInstance.objects.filter(task_id="hello").update(state="running")
    page = client.post(url, {"mark-state": "failed"}, follow=True).content.decode()

    assert "hello is running; wait for it to finish" in page
    assert "its try records its own outcome" in page
    assert TaskInstance.objects.get(task_id="hello").state == "running"


def test_task_page_for_unknown_task_is_404(client, finished_run):
    client.force_login(BuilderFactory())
    url = reverse("workflows:task_instance", kwargs={"dag_id": "greetings", "run_pk": finished_run.pk, "task_id": "x"})
    assert client.get(url).status_code == 404


def test_run_grid_is_a_table_of_its_own_class_scrolling_inside_its_wrapper(client, finished_run):
    # Pico lays out the children of any ".grid" side by side, which put the header beside the rows.
    client.force_login(BuilderFactory())

    html = client.get(reverse("workflows:dag_grid", args=["greetings"])).content.decode()

    assert 'class="grid"' not in html
    assert re.search(r'<div class="overflow-auto">\s*<table class="run-grid">', html)


def test_dag_pages_name_the_zone_of_the_cron_line_and_of_the_next_run(client, monkeypatch, settings):
    settings.WORKFLOWS_TIME_ZONE = "UTC"
    d = DAG("nightly", schedule="30 3 * * *", start_date=datetime(2025, 1, 1, tzinfo=UTC))
    with d:
        task(lambda: None).override(task_id="noop")()
    install_dags(monkeypatch, d)
    services.sync_dag_records(bag=DagBag(dags={"nightly": d}))
    client.force_login(BuilderFactory(profile__time_zone="Europe/Berlin"))

    for url in (reverse("workflows:dag_list"), reverse("workflows:dag_detail", args=["nightly"])):
        html = client.get(url).content.decode()
        assert "At 03:30 AM (UTC) <code>30 3 * * *</code>" in html
        assert ":30 (Europe/Berlin)</time>" in html  # the next run, 04:30 or 05:30 in Berlin


def test_pause_control_shows_the_state_and_offers_the_action(client, monkeypatch):
    d = DAG("nightly", schedule="30 3 * * *", start_date=datetime(2025, 1, 1, tzinfo=UTC))
    with d:
        task(lambda: None).override(task_id="noop")()
    install_dags(monkeypatch, d)
    client.force_login(BuilderFactory())

    active = client.get(reverse("workflows:dag_list")).content.decode()
    assert '<span class="state state-success">Active</span>' in active
    assert ">Pause</button>" in active
    assert "Active · pause" not in active
    client.post(reverse("workflows:set_paused", args=["nightly"]), {"paused": "on"})
    paused = client.get(reverse("workflows:dag_list")).content.decode()
    assert '<span class="state state-paused">Paused</span>' in paused
    assert ">Resume</button>" in paused
