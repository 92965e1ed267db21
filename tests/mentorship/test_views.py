"""Member and builder pages: access, forms with clear errors, actions, and query counts."""

from __future__ import annotations

import importlib
import re

import pytest
from django.urls import reverse

import mentorship.dags
from mentorship import services
from mentorship.enums import BatchStatus, MatchStatus
from mentorship.models import Batch, CheckIn, Match, MenteeApplication, MentorApplication
from tests.factories import UserFactory
from tests.mentorship.factories import (
    BatchFactory,
    MatchFactory,
    MenteeApplicationFactory,
    MentorApplicationFactory,
    area,
)
from workflows.dagbag import get_dagbag, reset_dagbag
from workflows.enums import DagRunState
from workflows.models import DagRun
from workflows.scheduler import Scheduler

pytestmark = pytest.mark.django_db


def test_home_lists_open_batches_for_visitors(client) -> None:
    batch = BatchFactory(name="Autumn cohort")
    BatchFactory(name="Hidden draft", status=BatchStatus.DRAFT)
    response = client.get(reverse("mentorship:home"))
    assert response.status_code == 200
    assert "Autumn cohort" in response.text
    assert "Hidden draft" not in response.text
    assert f"/mentorship/batches/{batch.slug}/" in response.text


def test_member_applies_as_mentee_with_ranked_areas(client) -> None:
    batch, member = BatchFactory(), UserFactory()
    client.force_login(member)
    response = client.post(
        reverse("mentorship:apply_mentee", args=[batch.slug]),
        {
            f"rank_{area('leadership').pk}": "1",
            f"rank_{area('open-source').pk}": "2",
            "goals": "Lead a team",
            "years_experience": "2",
            "time_zone": "Europe/Berlin",
            "languages": ["en", "de"],
            "hours_per_month": "2",
        },
    )
    assert response.status_code == 302
    application = MenteeApplication.objects.get(member=member)
    assert [c.area.slug for c in application.area_choices.all()] == ["leadership", "open-source"]
    assert application.languages == ["en", "de"]


def test_mentee_form_refuses_two_areas_with_the_same_rank(client) -> None:
    batch = BatchFactory()
    client.force_login(UserFactory())
    response = client.post(
        reverse("mentorship:apply_mentee", args=[batch.slug]),
        {
            f"rank_{area('leadership').pk}": "1",
            f"rank_{area('open-source').pk}": "1",
            "goals": "x",
            "years_experience": "2",
            "time_zone": "Europe/Berlin",
            "languages": ["en"],
            "hours_per_month": "2",
        },
    )
    assert response.status_code == 200
    assert "Give each chosen Area a different rank." in response.text
    assert not MenteeApplication.objects.exists()


def test_mentor_form_refuses_capacity_zero_and_unknown_zone(client) -> None:
    batch = BatchFactory()
    client.force_login(UserFactory())
    response = client.post(
        reverse("mentorship:apply_mentor", args=[batch.slug]),
        {
            "areas": [area("leadership").pk],
            "current_role": "CTO",
            "years_experience": "20",
            "capacity": "0",
            "hours_per_month": "4",
            "time_zone": "Nowhere/Special",
            "languages": ["en"],
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice. 0 is not one of the available choices." in response.text
    assert "Nowhere/Special is not one of the available choices." in response.text
    assert not MentorApplication.objects.exists()


def test_applying_twice_shows_the_reason(client) -> None:
    application = MentorApplicationFactory()
    client.force_login(application.member)
    response = client.post(
        reverse("mentorship:apply_mentor", args=[application.batch.slug]),
        {
            "areas": [area("leadership").pk],
            "current_role": "CTO",
            "years_experience": "20",
            "capacity": "2",
            "hours_per_month": "4",
            "time_zone": "Europe/Berlin",
            "languages": ["en"],
        },
    )
    assert "You have already applied to mentor" in response.text


def test_apply_page_of_a_closed_batch_redirects_with_a_message(client) -> None:
    batch = BatchFactory(status=BatchStatus.CLOSED)
    client.force_login(UserFactory())
    response = client.get(reverse("mentorship:apply_mentor", args=[batch.slug]), follow=True)
    assert f"Applications to {batch.name} are closed." in response.text


def test_member_withdraws_while_open(client) -> None:
    application = MenteeApplicationFactory()
    client.force_login(application.member)
    client.post(reverse("mentorship:withdraw", args=["mentee", application.pk]))
    application.refresh_from_db()
    assert application.withdrawn_at is not None


def test_builder_pages_are_closed_to_members(client) -> None:
    batch = BatchFactory()
    client.force_login(UserFactory())
    assert client.get(reverse("mentorship:batches")).status_code == 403
    assert client.get(reverse("mentorship:review", args=[batch.slug])).status_code == 403
    assert client.post(reverse("mentorship:run", args=[batch.slug])).status_code == 403


@pytest.fixture
def inline_scheduler(settings, tmp_path):
    """Runs the workflow runs a page started, in this process, until they end."""
    settings.WORKFLOWS_EXECUTOR_ALIASES = {"inline": "tests.workflows.support.InlineExecutor"}
    settings.WORKFLOWS_EXECUTORS = ["inline"]
    settings.WORKFLOWS_SCHEDULER_LOCK_FILE = tmp_path / "scheduler.lock"
    settings.WORKFLOWS_SCHEDULER_MAX_SLEEP = 0.05

    def run_all() -> None:
        def ended() -> bool:
            return not DagRun.objects.filter(state__in=[DagRunState.QUEUED, DagRunState.RUNNING]).exists()

        Scheduler(executor_names=["inline"], bag=get_dagbag(), max_loops=400, until=ended).run()

    importlib.reload(mentorship.dags)  # built again under these settings (it reads the executors)
    reset_dagbag()
    yield run_all
    reset_dagbag()


def test_builder_runs_a_batch_from_open_to_published_in_the_browser(client, builder, inline_scheduler) -> None:
    batch = BatchFactory()
    MentorApplicationFactory(batch=batch)
    MenteeApplicationFactory(batch=batch)
    client.force_login(builder)
    client.post(reverse("mentorship:transition", args=[batch.slug]), {"to": "closed", "confirm": "yes"})
    started = client.post(reverse("mentorship:run", args=[batch.slug]), follow=True)
    assert f"Matching of {batch.name} has started; this page shows its progress." in started.text
    inline_scheduler()
    review = client.get(reverse("mentorship:review", args=[batch.slug]))
    assert "Last run" in review.text
    assert "shares Conference speaking (mentee&#x27;s 1st choice)" in review.text
    client.post(reverse("mentorship:approve_all", args=[batch.slug]))
    response = client.post(reverse("mentorship:publish", args=[batch.slug]), {"confirm": "yes"}, follow=True)
    assert "is published" in response.text
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.PUBLISHED


def test_invalid_status_change_shows_the_allowed_step(client, builder) -> None:
    batch = BatchFactory(status=BatchStatus.DRAFT)
    client.force_login(builder)
    response = client.post(
        reverse("mentorship:transition", args=[batch.slug]), {"to": "completed", "confirm": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.DRAFT


def test_builder_creates_a_batch_with_a_clear_error_for_a_backwards_window(client, builder) -> None:
    client.force_login(builder)
    data = {
        "name": "Winter cohort",
        "applications_open_at": "2026-12-10T09:00",
        "applications_close_at": "2026-12-01T09:00",
        "program_starts_on": "2027-01-10",
        "program_ends_on": "2027-04-10",
    }
    response = client.post(reverse("mentorship:batch_create"), data)
    assert "Applications must close after they open." in response.text
    data["applications_close_at"] = "2026-12-20T09:00"
    response = client.post(reverse("mentorship:batch_create"), data)
    assert response.status_code == 302
    assert Batch.objects.get().slug == "winter-cohort"


def proposed_batch(pairs: int) -> Batch:
    batch = BatchFactory(status=BatchStatus.PROPOSED)
    for _ in range(pairs):
        MatchFactory(batch=batch)
        MenteeApplicationFactory(batch=batch, unmatched_reason="capacity_exhausted")
        MentorApplicationFactory(batch=batch, capacity=2)
    return batch


@pytest.mark.parametrize("pairs", [1, 3])
def test_review_page_queries_do_not_grow_with_pairs(client, builder, django_assert_max_num_queries, pairs) -> None:
    batch = proposed_batch(pairs)
    client.force_login(builder)
    with django_assert_max_num_queries(26):
        response = client.get(reverse("mentorship:review", args=[batch.slug]) + "?sort=mentee")
    assert response.status_code == 200
    assert response.text.count('id="pair-') == pairs
    assert "Capacity exhausted by better-scoring pairs" in response.text


@pytest.mark.parametrize("batches", [1, 3])
def test_batch_list_queries_do_not_grow_with_batches(client, builder, django_assert_max_num_queries, batches) -> None:
    for _ in range(batches):
        MenteeApplicationFactory()
    client.force_login(builder)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("mentorship:batches"))
    assert response.text.count("/mentorship/manage/cohort-") == batches


@pytest.mark.parametrize("matches", [1, 3])
def test_home_queries_do_not_grow_with_matches(client, django_assert_max_num_queries, matches) -> None:
    member = UserFactory()
    for _ in range(matches):
        MatchFactory(
            batch=BatchFactory(status=BatchStatus.PUBLISHED),
            mentee_application=MenteeApplicationFactory(member=member),
            status=MatchStatus.APPROVED,
        )
    client.force_login(member)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("mentorship:home"))
    assert response.text.count("Mentored by") == matches


def test_report_shows_rates_and_an_svg_chart(client, builder) -> None:
    batch = proposed_batch(2)
    client.force_login(builder)
    response = client.get(reverse("mentorship:report", args=[batch.slug]))
    assert response.status_code == 200
    assert "<svg" in response.text
    assert "Mentee applications per Area" in response.text
    assert "50.0 %" in response.text  # 2 of 4 mentees have a proposed pair


def test_pair_member_sees_their_match_and_outsiders_do_not(client) -> None:
    pair = MatchFactory(batch=BatchFactory(status=BatchStatus.PUBLISHED), status=MatchStatus.APPROVED)
    client.force_login(pair.mentee)
    response = client.get(reverse("mentorship:match", args=[pair.pk]))
    assert f"Mentored by {pair.mentor.display_name}" in response.text
    client.force_login(UserFactory())
    assert client.get(reverse("mentorship:match", args=[pair.pk])).status_code == 403


def test_check_in_link_asks_before_recording(client) -> None:
    pair = MatchFactory(batch=BatchFactory(status=BatchStatus.PUBLISHED), status=MatchStatus.APPROVED)
    check_in = CheckIn.objects.create(match=pair, member=pair.mentee)
    url = reverse("mentorship:check_in", args=[services.check_in_token(check_in)])

    page = client.get(url + "?met=no")
    check_in.refresh_from_db()
    assert check_in.met is None
    assert "Not yet" in page.text

    done = client.post(url, {"met": "no"})
    check_in.refresh_from_db()
    assert check_in.met is False
    assert "you have not met yet" in done.text


def test_broken_check_in_link_explains_itself(client) -> None:
    response = client.get(reverse("mentorship:check_in", args=["not-a-token"]))
    assert response.status_code == 400
    assert "This check-in link is not valid." in response.text


def test_end_early_form_needs_a_reason(client) -> None:
    pair = MatchFactory(batch=BatchFactory(status=BatchStatus.PUBLISHED), status=MatchStatus.APPROVED)
    client.force_login(pair.mentor)
    response = client.post(reverse("mentorship:end_match", args=[pair.pk]), {"reason": ""}, follow=True)
    assert "Tell us briefly why the pair ends." in response.text
    assert Match.objects.get(pk=pair.pk).status == MatchStatus.APPROVED


def test_demo_seed_is_idempotent() -> None:
    from mentorship import demo

    builder, members = UserFactory(is_staff=True), [UserFactory() for _ in range(3)]
    first = demo.seed(members=members, builder=builder)
    second = demo.seed(members=members, builder=builder)
    assert first == second == "batch Spring cohort (demo) (open for applications): 10 mentor and 11 mentee applications"
    assert Batch.objects.count() == 1


def test_review_page_fits_a_phone_with_scrolling_tables_and_wrapping_actions(client, builder) -> None:
    batch = proposed_batch(2)
    client.force_login(builder)

    html = client.get(reverse("mentorship:review", args=[batch.slug])).text

    assert html.count("<table") == 2
    assert len(re.findall(r'<div class="overflow-auto">\s*<table>', html)) == 2
    assert '<div class="action-row">' in html
    assert 'role="group"' not in html  # Pico's button group never wraps
    assert html.count('<td class="wrap-anywhere"><small>') == 2


def test_closing_applications_asks_first_with_the_number_of_applicants(client, builder) -> None:
    batch = BatchFactory(name="Spring cohort", slug="spring-cohort")
    MenteeApplicationFactory.create_batch(2, batch=batch)
    MentorApplicationFactory(batch=batch)
    client.force_login(builder)

    review = client.get(reverse("mentorship:review", args=[batch.slug])).text
    page = client.get(reverse("mentorship:transition", args=[batch.slug]), {"to": "closed"}).text

    assert 'method="get" action="/mentorship/manage/spring-cohort/status/"' in review
    assert "Close applications of Spring cohort?" in page
    assert "2 mentees and 1 mentor applied; nobody can apply or edit after this." in page
    assert '<button type="submit" name="confirm" value="yes">Close applications</button>' in page
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.OPEN


def test_status_change_without_confirmation_is_refused(client, builder) -> None:
    batch = BatchFactory(name="Spring cohort", slug="spring-cohort")
    client.force_login(builder)

    response = client.post(reverse("mentorship:transition", args=[batch.slug]), {"to": "closed"})

    assert response.status_code == 200
    assert "Nothing changed yet: confirm the change on this page." in response.text
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.OPEN


@pytest.mark.parametrize(
    ("status", "target", "message"),
    [
        (BatchStatus.DRAFT, "open", "Spring cohort is open for applications."),
        (BatchStatus.OPEN, "closed", "Applications to Spring cohort are closed."),
        (BatchStatus.PUBLISHED, "active", "Spring cohort is active."),
        (BatchStatus.ACTIVE, "completed", "Spring cohort is completed."),
    ],
)
def test_confirmed_status_change_says_what_the_batch_now_is(client, builder, status, target, message) -> None:
    batch = BatchFactory(name="Spring cohort", status=status)
    client.force_login(builder)

    response = client.post(
        reverse("mentorship:transition", args=[batch.slug]), {"to": target, "confirm": "yes"}, follow=True
    )

    assert message in response.text
    assert Batch.objects.get(pk=batch.pk).status == target


def test_publishing_asks_first_and_refuses_without_confirmation(client, builder) -> None:
    batch = BatchFactory(name="Spring cohort", status=BatchStatus.PROPOSED)
    MatchFactory.create_batch(2, batch=batch, status=MatchStatus.APPROVED)
    MenteeApplicationFactory(batch=batch)
    client.force_login(builder)

    page = client.get(reverse("mentorship:publish", args=[batch.slug])).text
    refused = client.post(reverse("mentorship:publish", args=[batch.slug]))

    assert "Publish Spring cohort?" in page
    assert (
        "Both members of the 2 approved pairs and the 1 mentee on the waiting list are emailed; this cannot be undone."
    ) in page
    assert "Nothing is published yet: confirm on this page." in refused.text
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.PROPOSED


def test_partner_email_is_shown_to_both_members_of_a_published_pair_only(client) -> None:
    batch = BatchFactory(status=BatchStatus.PROPOSED)
    pair = MatchFactory(batch=batch, status=MatchStatus.APPROVED)
    url = reverse("mentorship:match", args=[pair.pk])
    mentor_link = f'<a href="mailto:{pair.mentor.email}">{pair.mentor.email}</a>'
    mentee_link = f'<a href="mailto:{pair.mentee.email}">{pair.mentee.email}</a>'

    client.force_login(pair.mentee)
    before = client.get(url).text
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.PUBLISHED)
    mentee_after = client.get(url).text
    client.force_login(pair.mentor)
    mentor_after = client.get(url).text
    client.force_login(UserFactory())
    outsider = client.get(url)

    assert pair.mentor.email not in before
    assert mentor_link in mentee_after
    assert mentee_link in mentor_after
    assert outsider.status_code == 403
    assert pair.mentor.email not in outsider.text
    assert pair.mentee.email not in outsider.text


def test_member_of_another_pair_in_the_same_batch_never_sees_the_email(client) -> None:
    batch = BatchFactory(status=BatchStatus.PUBLISHED)
    pair = MatchFactory(batch=batch, status=MatchStatus.APPROVED)
    other = MatchFactory(batch=batch, status=MatchStatus.APPROVED)
    client.force_login(other.mentee)

    own_page = client.get(reverse("mentorship:match", args=[other.pk])).text
    response = client.get(reverse("mentorship:match", args=[pair.pk]))

    assert response.status_code == 403
    assert pair.mentor.email not in own_page + response.text


def test_mentee_form_starts_from_the_profiles_interests_in_the_profiles_order(client) -> None:
    member = UserFactory()
    leadership, open_source = area("leadership"), area("open-source")
    member.profile.interests.set([leadership, open_source])
    first, second = sorted([leadership, open_source], key=lambda a: (a.position, a.name))
    client.force_login(member)

    form = client.get(reverse("mentorship:apply_mentee", args=[BatchFactory().slug])).context["form"]

    ranks = {name: value for name, value in form.initial.items() if name.startswith("rank_")}
    assert ranks == {f"rank_{first.pk}": 1, f"rank_{second.pk}": 2}


def test_empty_mentee_form_lists_every_problem_at_the_top_with_links(client) -> None:
    batch = BatchFactory()
    client.force_login(UserFactory())

    html = client.post(reverse("mentorship:apply_mentee", args=[batch.slug]), {}).text

    summary = html[html.index('id="error-summary"') : html.index("</div>", html.index('id="error-summary"'))]
    assert "6 problems to fix:" in summary
    assert '<a href="#areas">Choose at least one Area and give it a rank.</a>' in summary
    assert '<a href="#id_goals">What do you hope to achieve?: This field is required.</a>' in summary
    assert '<a href="#id_languages">Languages you can be mentored in: This field is required.</a>' in summary
    assert summary.count("<li>") == 6
    assert 'fieldset id="id_languages" aria-invalid="true"' in html
