"""Matching runs as the `mentor_matching` DAG: scheduled from the batch page, run by the real scheduler."""

from __future__ import annotations

import importlib
import time
import zoneinfo
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

import mentorship.dags
from community.notifications.models import Notification
from mentorship import services
from mentorship.enums import BatchStatus, MatchStatus, PairRuleKind
from mentorship.errors import InvalidTransition, MatchingFailed, ReviewRefused
from mentorship.models import Match, MatchingRun, MenteeApplication, PairRule
from mentorship.services.matching import MATCHING_DAG_ID
from tests.factories import BuilderFactory
from tests.mentorship.factories import BatchFactory, MenteeApplicationFactory, MentorApplicationFactory
from workflows import services as engine
from workflows.dagbag import get_dagbag, reset_dagbag
from workflows.enums import DagRunState
from workflows.models import DagRun, TaskInstance
from workflows.scheduler import Scheduler

pytestmark = pytest.mark.django_db

TASKS = ["freeze_applications", "solve", "store_proposals", "tell_builders", "record_outcome"]


@pytest.fixture(autouse=True)
def _inline_engine(settings, tmp_path):
    """Tries run in the test's process (the inline executor) so they see the test's transaction."""
    settings.WORKFLOWS_EXECUTOR_ALIASES = {"inline": "tests.workflows.support.InlineExecutor"}
    settings.WORKFLOWS_EXECUTORS = ["inline"]
    settings.WORKFLOWS_SCHEDULER_LOCK_FILE = tmp_path / "scheduler.lock"
    settings.WORKFLOWS_SCHEDULER_MAX_SLEEP = 0.05
    # The DAG file reads the executors when it is built: build it again under these settings.
    importlib.reload(mentorship.dags)
    reset_dagbag()
    yield
    reset_dagbag()


def finish(run: MatchingRun, *, max_loops: int = 400) -> MatchingRun:
    """Let the scheduler work until the run's workflow has ended."""

    def ended() -> bool:
        return DagRun.objects.filter(pk=run.dag_run_id, state__in=[DagRunState.SUCCESS, DagRunState.FAILED]).exists()

    Scheduler(executor_names=["inline"], bag=get_dagbag(), max_loops=max_loops, until=ended).run()
    run.refresh_from_db()
    return run


def cohort(mentors: int = 1, mentees: int = 2, status: str = BatchStatus.CLOSED):
    batch = BatchFactory(status=status)
    mentor_apps = [MentorApplicationFactory(batch=batch) for _ in range(mentors)]
    mentee_apps = [
        MenteeApplicationFactory(batch=batch, time_zone="Europe/Berlin" if i == 0 else "America/New_York")
        for i in range(mentees)
    ]
    return batch, mentor_apps, mentee_apps


def pairs_of(batch) -> list[tuple[int, int, int, float, str]]:
    return list(
        Match.objects.filter(batch=batch)
        .order_by("pk")
        .values_list("pk", "mentor_application_id", "mentee_application_id", "score", "status")
    )


def task_states(run: MatchingRun) -> dict[str, str]:
    return dict(TaskInstance.objects.filter(run_id=run.dag_run_id).values_list("task_id", "state"))


def test_run_now_proposes_pairs_and_emails_each_builder_once(builder) -> None:
    other = BuilderFactory(username="other-builder")
    batch, (mentor,), (near, far) = cohort()

    run = finish(services.schedule_matching_run(batch=batch, by=builder))

    batch.refresh_from_db()
    assert (run.state, run.failure_reason, batch.status) == (MatchingRun.State.SUCCEEDED, "", BatchStatus.PROPOSED)
    assert [(m, e, s) for _, m, e, _, s in pairs_of(batch)] == [(mentor.pk, near.pk, MatchStatus.PROPOSED)]
    assert MenteeApplication.objects.get(pk=far.pk).unmatched_reason == "capacity_exhausted"
    assert (run.mentors, run.mentees, run.pairs, run.unmatched) == (1, 2, 1, 1)
    assert run.unmatched_reasons == {"capacity_exhausted": 1}
    emails = Notification.objects.filter(template="mentorship_matching_done").order_by("to")
    assert [(e.key, e.to) for e in emails] == sorted(
        [(f"mentorship-matching-run:{run.pk}:{b.pk}", b.email) for b in (builder, other)], key=lambda kv: kv[1]
    )
    assert emails[0].subject == f"{batch.name}: matching proposed 1 pair to review"
    assert reverse("mentorship:review", args=[batch.slug]) in emails[0].body_text
    assert "Capacity exhausted by better-scoring pairs: 1" in emails[0].body_text
    assert task_states(run) == dict.fromkeys(TASKS, "success")


def test_frozen_input_holds_what_the_run_matched(builder) -> None:
    batch, (mentor,), (near, far) = cohort()
    PairRule.objects.create(
        batch=batch, mentor_application=mentor, mentee_application=far, kind=PairRuleKind.PIN, created_by=builder
    )
    far.rematch_requested_at = timezone.now()
    far.save()

    run = finish(services.schedule_matching_run(batch=batch, by=builder))

    assert [m["id"] for m in run.input["mentors"]] == [mentor.pk]
    assert sorted(e["id"] for e in run.input["mentees"]) == sorted([near.pk, far.pk])
    assert (run.input["pins"], run.input["forbidden"], run.input["priority"]) == ([[mentor.pk, far.pk]], [], [far.pk])
    assert [(p["mentor"], p["mentee"], p["pinned"]) for p in run.output["pairs"]] == [(mentor.pk, far.pk, True)]


def test_second_click_while_scheduled_names_the_moment(builder) -> None:
    batch, _, _ = cohort()
    at = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=3)
    services.schedule_matching_run(batch=batch, by=builder, run_after=at)

    with pytest.raises(MatchingFailed) as refused:
        services.schedule_matching_run(batch=batch, by=BuilderFactory(username="second"))

    local = timezone.localtime(at)
    assert str(refused.value) == (
        f"A matching run is already scheduled for {local:%a} {local.day} {local:%b %Y, %H:%M} (UTC)."
    )
    assert MatchingRun.objects.count() == DagRun.objects.filter(dag__dag_id=MATCHING_DAG_ID).count() == 1


def test_second_click_while_running_says_since_when(builder) -> None:
    batch, _, _ = cohort()
    run = services.schedule_matching_run(batch=batch, by=builder)
    services.freeze_matching_input(batch_ref=batch.slug, dag_id=MATCHING_DAG_ID, run_id=run.dag_run.run_id)

    with pytest.raises(MatchingFailed, match=r"^A matching run is already running since "):
        services.schedule_matching_run(batch=batch, by=builder)


def test_database_holds_one_active_run_per_batch(builder) -> None:
    batch = BatchFactory(status=BatchStatus.CLOSED)
    MatchingRun.objects.create(batch=batch, state=MatchingRun.State.RUNNING)
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchingRun.objects.create(batch=batch, state=MatchingRun.State.SCHEDULED)
    MatchingRun.objects.create(batch=batch, state=MatchingRun.State.FAILED)
    assert MatchingRun.objects.filter(batch=batch).count() == 2


def test_run_whose_workflow_ended_unrecorded_no_longer_blocks_the_batch(builder) -> None:
    batch, _, _ = cohort()
    stuck = services.schedule_matching_run(batch=batch, by=builder)
    DagRun.objects.filter(pk=stuck.dag_run_id).update(state=DagRunState.FAILED, end_date=timezone.now())

    again = finish(services.schedule_matching_run(batch=batch, by=builder))

    stuck.refresh_from_db()
    assert (stuck.state, stuck.failure_reason) == (
        MatchingRun.State.FAILED,
        "The workflow run ended without recording an outcome; run matching again.",
    )
    assert again.state == MatchingRun.State.SUCCEEDED


def test_review_is_refused_while_a_run_is_scheduled_or_running(builder) -> None:
    batch, _, _ = cohort()
    services.run_matching(batch=batch, by=builder)
    pair = Match.objects.get(batch=batch)
    run = services.schedule_matching_run(batch=batch, by=builder, run_after=timezone.now() + timedelta(hours=1))

    with pytest.raises(ReviewRefused, match=r"Pairs cannot change until it has run, or cancel it\."):
        services.approve_match(match_=pair, by=builder)
    with pytest.raises(ReviewRefused, match="already scheduled for"):
        services.publish_batch(batch=batch, by=builder)

    services.reschedule_matching_run(run=run, run_after=None, by=builder)
    services.freeze_matching_input(batch_ref=batch.pk, dag_id=MATCHING_DAG_ID, run_id=run.dag_run.run_id)
    for action in (
        lambda: services.reject_match(match_=pair, by=builder),
        lambda: services.approve_all_matches(batch=batch, by=builder),
        lambda: services.set_pair_rule(
            batch=batch,
            mentor_application=pair.mentor_application,
            mentee_application=pair.mentee_application,
            kind=PairRuleKind.FORBID,
            by=builder,
        ),
    ):
        with pytest.raises(ReviewRefused, match=r"already running since .* Pairs cannot change until it ends\."):
            action()
    assert Match.objects.get(pk=pair.pk).status == MatchStatus.PROPOSED


def test_moving_a_scheduled_run_moves_its_workflow_run(builder) -> None:
    batch, _, _ = cohort()
    run = services.schedule_matching_run(batch=batch, by=builder, run_after=timezone.now() + timedelta(hours=1))
    later = timezone.now() + timedelta(days=1)

    moved = services.reschedule_matching_run(run=run, run_after=later, by=builder)

    assert (moved.scheduled_for, DagRun.objects.get(pk=run.dag_run_id).run_after) == (later, later)


def test_moving_to_the_past_is_refused(builder) -> None:
    batch, _, _ = cohort()
    at = timezone.now() + timedelta(hours=1)
    run = services.schedule_matching_run(batch=batch, by=builder, run_after=at)
    with pytest.raises(MatchingFailed, match="Choose a moment in the future"):
        services.reschedule_matching_run(run=run, run_after=timezone.now() - timedelta(minutes=1), by=builder)
    assert DagRun.objects.get(pk=run.dag_run_id).run_after == at


def test_cancelled_run_never_runs_and_frees_the_batch(builder) -> None:
    batch, _, _ = cohort()
    run = services.schedule_matching_run(batch=batch, by=builder, run_after=timezone.now() + timedelta(seconds=1))

    cancelled = services.cancel_matching_run(run=run, by=builder)
    time.sleep(1.1)
    Scheduler(executor_names=["inline"], bag=get_dagbag(), max_loops=20).run()

    batch.refresh_from_db()
    assert (cancelled.state, cancelled.failure_reason) == (
        MatchingRun.State.CANCELLED,
        f"Cancelled by {builder.display_name} before it started.",
    )
    assert DagRun.objects.get(pk=run.dag_run_id).state == DagRunState.CANCELLED
    assert (batch.status, pairs_of(batch)) == (BatchStatus.CLOSED, [])
    assert finish(services.schedule_matching_run(batch=batch, by=builder)).state == MatchingRun.State.SUCCEEDED


def test_a_started_run_can_no_longer_be_moved_or_cancelled(builder) -> None:
    batch, _, _ = cohort()
    run = services.schedule_matching_run(batch=batch, by=builder)
    dag = get_dagbag().get(MATCHING_DAG_ID)
    engine.start_queued_runs(dag=dag, record_id=run.dag_run.dag_id, now=timezone.now())

    with pytest.raises(MatchingFailed, match="has started already: it can no longer be moved"):
        services.reschedule_matching_run(run=run, run_after=timezone.now() + timedelta(hours=1), by=builder)
    with pytest.raises(MatchingFailed, match="has started already: it can no longer be cancelled"):
        services.cancel_matching_run(run=run, by=builder)
    assert MatchingRun.objects.get(pk=run.pk).state == MatchingRun.State.SCHEDULED


def test_open_batch_runs_only_once_applications_close(builder) -> None:
    batch, _, _ = cohort(status=BatchStatus.OPEN)
    with pytest.raises(InvalidTransition, match="matching runs once applications are closed"):
        services.schedule_matching_run(batch=batch, by=builder)
    run = services.schedule_matching_run(batch=batch, by=builder, run_after=batch.applications_close_at)
    assert run.scheduled_for == batch.applications_close_at


def test_open_batch_is_closed_by_a_run_due_after_its_window(builder) -> None:
    batch, _, _ = cohort(status=BatchStatus.OPEN)
    run = services.schedule_matching_run(
        batch=batch, by=builder, run_after=batch.applications_close_at + timedelta(seconds=1)
    )
    batch.applications_close_at = timezone.now() - timedelta(minutes=1)
    batch.save()
    engine.reschedule_dag_run(run=run.dag_run, run_after=None)

    assert finish(run).state == MatchingRun.State.SUCCEEDED
    assert batch_status(batch) == BatchStatus.PROPOSED


def batch_status(batch) -> str:
    batch.refresh_from_db()
    return batch.status


def impossible_pin(batch, mentor, mentee, builder) -> PairRule:
    """A pin the engine refuses (the pair shares no language), as a run finds it when solving."""
    MenteeApplication.objects.filter(pk=mentee.pk).update(languages=["ja"])
    return PairRule.objects.create(
        batch=batch, mentor_application=mentor, mentee_application=mentee, kind=PairRuleKind.PIN, created_by=builder
    )


def test_failed_solve_leaves_the_batch_rerunnable_and_the_page_says_why(client, builder) -> None:
    batch, (mentor,), (near, _far) = cohort()
    rule = impossible_pin(batch, mentor, near, builder)

    run = finish(services.schedule_matching_run(batch=batch, by=builder))

    batch.refresh_from_db()
    reason = f"Solve: Cannot pin {mentor.member.display_name} with {near.member.display_name}: they share no language."
    assert (run.state, run.failure_reason, batch.status) == (MatchingRun.State.FAILED, reason, BatchStatus.MATCHING)
    assert task_states(run) == {
        "freeze_applications": "success",
        "solve": "failed",
        "store_proposals": "upstream_failed",
        "tell_builders": "upstream_failed",
        "record_outcome": "success",
    }
    assert not Notification.objects.filter(template="mentorship_matching_done").exists()
    client.force_login(builder)
    page = client.get(reverse("mentorship:review", args=[batch.slug])).text
    assert "The last matching run failed" in page
    assert "they share no language." in page
    assert "Run matching now" in page

    rule.delete()
    again = finish(services.schedule_matching_run(batch=batch, by=builder))
    batch.refresh_from_db()
    assert (again.state, batch.status, len(pairs_of(batch))) == (MatchingRun.State.SUCCEEDED, BatchStatus.PROPOSED, 1)


def test_forced_retry_of_each_step_changes_nothing_twice(builder) -> None:
    batch, _, _ = cohort(mentors=2, mentees=3)
    run = finish(services.schedule_matching_run(batch=batch, by=builder))
    pairs, emails = pairs_of(batch), list(Notification.objects.values_list("key", "pk"))
    figures = MatchingRun.objects.filter(pk=run.pk).values().get()

    assert services.freeze_matching_input(batch_ref=batch.pk, dag_id=MATCHING_DAG_ID, run_id=run.dag_run.run_id) == (
        run.pk
    )
    assert services.solve_matching_run(run_id=run.pk) == run.pk
    assert services.store_matching_proposals(run_id=run.pk) == run.pk
    assert services.tell_builders_of_matching_run(run_id=run.pk) == 0

    dag = get_dagbag().get(MATCHING_DAG_ID)
    engine.clear_task_instances(run=run.dag_run, dag=dag, task_ids=["store_proposals"], downstream=True)
    run = finish(run)

    assert (pairs_of(batch), list(Notification.objects.values_list("key", "pk"))) == (pairs, emails)
    assert MatchingRun.objects.filter(pk=run.pk).values().get() == figures
    assert TaskInstance.objects.get(run_id=run.dag_run_id, task_id="store_proposals").try_number == 2


def test_store_replaces_proposed_pairs_and_keeps_approved_ones(builder) -> None:
    batch, _, (near, far) = cohort(mentors=2)
    finish(services.schedule_matching_run(batch=batch, by=builder))
    kept = Match.objects.get(batch=batch, mentee_application=near)
    services.approve_match(match_=kept, by=builder)
    replaced = Match.objects.get(batch=batch, mentee_application=far)

    finish(services.schedule_matching_run(batch=batch, by=builder))

    assert Match.objects.get(batch=batch, mentee_application=near) == kept
    assert Match.objects.get(pk=kept.pk).status == MatchStatus.APPROVED
    assert not Match.objects.filter(pk=replaced.pk).exists()
    assert Match.objects.filter(batch=batch, mentee_application=far, status=MatchStatus.PROPOSED).count() == 1


def test_run_triggered_from_the_workflows_ui_is_a_matching_run_too(builder) -> None:
    batch, _, _ = cohort()
    dag_run = engine.trigger_dag(
        dag=get_dagbag().get(MATCHING_DAG_ID), params={"batch": batch.slug}, triggered_by=builder
    )
    Scheduler(
        executor_names=["inline"],
        bag=get_dagbag(),
        max_loops=400,
        until=lambda: DagRun.objects.filter(pk=dag_run.pk, state=DagRunState.SUCCESS).exists(),
    ).run()
    run = MatchingRun.objects.get(dag_run=dag_run)
    assert (run.state, run.started_by, batch_status(batch)) == (
        MatchingRun.State.SUCCEEDED,
        builder,
        BatchStatus.PROPOSED,
    )


def test_unknown_batch_fails_the_run_with_its_reason(builder) -> None:
    dag_run = engine.trigger_dag(dag=get_dagbag().get(MATCHING_DAG_ID), params={"batch": "no-such-batch"})
    Scheduler(
        executor_names=["inline"],
        bag=get_dagbag(),
        max_loops=400,
        until=lambda: DagRun.objects.filter(pk=dag_run.pk, state=DagRunState.FAILED).exists(),
    ).run()
    freeze = TaskInstance.objects.get(run=dag_run, task_id="freeze_applications")
    assert (freeze.state, freeze.tries.get().reason) == ("failed", "No batch has the id or slug 'no-such-batch'.")
    assert not MatchingRun.objects.exists()


# The batch page ----------------------------------------------------------------------------------------


def test_progress_partial_shows_each_step_with_its_log_and_polls_only_while_active(client, builder) -> None:
    batch, _, _ = cohort()
    client.force_login(builder)
    run = services.schedule_matching_run(batch=batch, by=builder)
    url = reverse("mentorship:matching_run", args=[batch.slug])

    waiting = client.get(url).text
    assert 'hx-trigger="every 2s"' in waiting
    assert waiting.count('<span class="state state-none">No status</span>') == len(TASKS)

    finish(run)
    done = client.get(url).text
    assert 'hx-trigger="every 2s"' not in done
    for task_id in TASKS:
        log = reverse("workflows:task_instance", args=[MATCHING_DAG_ID, run.dag_run_id, task_id]) + "?try=1"
        label = task_id.replace("_", " ").capitalize()
        assert f'<span class="state state-success">Success</span> {label} · <a href="{log}">log</a>' in done
    assert "Last run" in done


def test_progress_poll_reloads_the_page_once_the_run_is_over(client, builder) -> None:
    batch, _, _ = cohort()
    client.force_login(builder)
    run = services.schedule_matching_run(batch=batch, by=builder)
    url = reverse("mentorship:matching_run", args=[batch.slug])

    polling = client.get(url, headers={"HX-Request": "true"})
    assert (polling.status_code, polling.has_header("HX-Refresh")) == (200, False)

    finish(run)
    over = client.get(url, headers={"HX-Request": "true"})
    # The whole page comes back with the proposed pairs; the partial alone would leave them out.
    assert (over.status_code, over["HX-Refresh"]) == (200, "true")
    page = client.get(reverse("mentorship:review", args=[batch.slug])).text
    assert "No pairs yet" not in page


def test_builder_schedules_a_run_in_their_own_zone(client, builder) -> None:
    builder.profile.time_zone = "America/Sao_Paulo"
    builder.profile.save()
    batch, _, _ = cohort()
    client.force_login(builder)
    local = timezone.localtime(timezone.now() + timedelta(days=2), timezone.get_fixed_timezone(-3 * 60))

    response = client.post(
        reverse("mentorship:run", args=[batch.slug]), {"when": local.strftime("%Y-%m-%dT%H:%M")}, follow=True
    )

    run = MatchingRun.objects.get()
    assert run.scheduled_for == local.replace(second=0, microsecond=0)
    shown = f"{local:%a} {local.day} {local:%b %Y, %H:%M} (America/Sao_Paulo)"
    assert f"Matching of {batch.name} is scheduled for {shown}." in response.text
    assert "Move the run" in response.text
    assert 'hx-trigger="every 2s"' in response.text


def test_a_moment_in_the_past_is_refused_with_a_clear_message(client, builder) -> None:
    batch, _, _ = cohort()
    client.force_login(builder)
    past = timezone.localtime(timezone.now() - timedelta(hours=1))
    response = client.post(
        reverse("mentorship:run", args=[batch.slug]), {"when": past.strftime("%Y-%m-%dT%H:%M")}, follow=True
    )
    assert "Choose a moment in the future." in response.text
    response = client.post(reverse("mentorship:run", args=[batch.slug]), {"when": "next tuesday"}, follow=True)
    assert "Enter a valid date/time." in response.text
    assert not MatchingRun.objects.exists()


def test_when_applications_close_shortcut(client, builder) -> None:
    batch, _, _ = cohort(status=BatchStatus.OPEN)
    client.force_login(builder)
    page = client.get(reverse("mentorship:review", args=[batch.slug])).text
    assert "Run when applications close" in page
    assert "Run matching now" not in page

    client.post(reverse("mentorship:run", args=[batch.slug]), {"at_close": "on"})

    assert MatchingRun.objects.get().scheduled_for == batch.applications_close_at


def test_second_click_from_the_page_is_told_not_run_twice(client, builder) -> None:
    batch, _, _ = cohort()
    client.force_login(builder)
    client.post(reverse("mentorship:run", args=[batch.slug]))
    response = client.post(reverse("mentorship:run", args=[batch.slug]), follow=True)
    assert "A matching run is already starting" in response.text
    assert MatchingRun.objects.count() == 1


def test_builder_moves_then_cancels_a_scheduled_run_from_the_page(client, builder) -> None:
    batch, _, _ = cohort()
    client.force_login(builder)
    run = services.schedule_matching_run(batch=batch, by=builder, run_after=timezone.now() + timedelta(hours=1))
    berlin = zoneinfo.ZoneInfo(builder.profile.time_zone)
    later = timezone.localtime(timezone.now() + timedelta(days=1), berlin).replace(second=0, microsecond=0)

    moved = client.post(
        reverse("mentorship:move_run", args=[run.pk]), {"when": later.strftime("%Y-%m-%dT%H:%M")}, follow=True
    )
    cancelled = client.post(reverse("mentorship:cancel_run", args=[run.pk]), follow=True)
    again = client.post(reverse("mentorship:cancel_run", args=[run.pk]), follow=True)

    assert "The matching run is moved to" in moved.text
    assert DagRun.objects.get(pk=run.dag_run_id).run_after == later
    assert "The matching run is cancelled; the batch is as it was." in cancelled.text
    assert "This matching run is cancelled: it can no longer change." in again.text
    assert "Run matching now" in again.text


# Through the real scheduler and its worker processes ---------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_scheduled_run_waits_for_its_moment_then_runs_on_the_local_executor(settings) -> None:
    settings.WORKFLOWS_EXECUTORS = ["local"]
    settings.WORKFLOWS_LOCAL_PARALLELISM = 2
    builder, other = BuilderFactory(username="rosa"), BuilderFactory(username="sam")
    batch, (mentor,), (near, _far) = cohort()
    at = timezone.now() + timedelta(seconds=5)
    run = services.schedule_matching_run(batch=batch, by=builder, run_after=at)
    scheduler = Scheduler(executor_names=["local"])
    scheduler.start()
    try:
        scheduler.run_until(max_seconds=2)
        checked_at = timezone.now()
        early = (
            MatchingRun.objects.get(pk=run.pk).state,
            DagRun.objects.get(pk=run.dag_run_id).state,
            batch_status(batch),
        )
        scheduler.run_until(
            lambda: DagRun.objects.filter(
                pk=run.dag_run_id, state__in=[DagRunState.SUCCESS, DagRunState.FAILED]
            ).exists(),
            max_seconds=60,
        )
    finally:
        scheduler.shutdown()

    run.refresh_from_db()
    dag_run = DagRun.objects.get(pk=run.dag_run_id)
    assert checked_at < at
    assert early == (MatchingRun.State.SCHEDULED, DagRunState.QUEUED, BatchStatus.CLOSED)
    assert (dag_run.state, run.state, batch_status(batch)) == (
        DagRunState.SUCCESS,
        MatchingRun.State.SUCCEEDED,
        BatchStatus.PROPOSED,
    )
    assert dag_run.start_date >= at
    assert run.started_at >= at
    assert [(m, e) for _, m, e, _, _ in pairs_of(batch)] == [(mentor.pk, near.pk)]
    assert sorted(Notification.objects.filter(template="mentorship_matching_done").values_list("key", flat=True)) == [
        f"mentorship-matching-run:{run.pk}:{builder.pk}",
        f"mentorship-matching-run:{run.pk}:{other.pk}",
    ]
